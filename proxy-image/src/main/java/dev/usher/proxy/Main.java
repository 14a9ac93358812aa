package dev.usher.proxy;

import dev.usher.proxy.config.ConfigException;
import dev.usher.proxy.config.ConfigLoader;
import dev.usher.proxy.config.ProxyConfig;
import io.netty.util.ResourceLeakDetector;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/** {@code java -jar usher-proxy.jar --listen 127.0.0.1:8080 --upstream 127.0.0.1:9001}; see {@code --help}. */
public final class Main {
    private static final Logger log = LoggerFactory.getLogger(Main.class);

    private Main() {}

    public static void main(String[] args) throws InterruptedException {
        ProxyConfig config;
        try {
            config = ConfigLoader.fromArgs(args);
        } catch (ConfigException e) {
            System.err.println("usher-proxy: bad configuration: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (config == null) {
            System.out.print(ConfigLoader.usage());
            return;
        }
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            // The tests run every buffer through the paranoid detector; in production the sampling costs CPU
            // and allocation on the hot path for nothing. -Dio.netty.leakDetection.level turns it back on.
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
        ProxyServer server;
        try {
            server = ProxyServer.start(config);
        } catch (Exception e) {
            log.error("cannot start: {}", e.toString());
            System.exit(1);
            return;
        }
        // SIGTERM is how Kubernetes asks a pod to stop: drain, then exit 0 (a JVM shutdown hook would exit 143).
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        stop.await();
        server.shutdown();
        System.exit(0);
    }
}
