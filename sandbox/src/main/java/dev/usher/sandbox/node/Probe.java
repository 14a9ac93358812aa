package dev.usher.sandbox.node;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HTTPHeader;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * One probe of a container as the kubelet runs it: the first run after initialDelaySeconds, then one
 * every periodSeconds, each within timeoutSeconds; the result flips after successThreshold successes
 * or failureThreshold failures in a row. httpGet (2xx or 3xx) and tcpSocket go to the pod's address
 * from the node's network namespace, exec runs in the pod's namespaces.
 */
final class Probe {

    private final io.fabric8.kubernetes.api.model.Probe spec;
    private final Container container;
    private final Predicate<List<String>> exec;
    private long nextRun;
    private int successes;
    private int failures;
    private boolean passing;

    /** @param exec runs a command in the pod and tells whether it exited 0 */
    Probe(io.fabric8.kubernetes.api.model.Probe spec, Container container, Predicate<List<String>> exec,
            long containerStartedNanos) {
        this.spec = spec;
        this.container = container;
        this.exec = exec;
        this.nextRun = containerStartedNanos + TimeUnit.SECONDS.toNanos(or(spec.getInitialDelaySeconds(), 0));
    }

    /** Runs the probe if it is due, and tells whether it passes (false until it first has). */
    boolean check(String ip, long now) {
        if (now - nextRun < 0) {
            return passing;
        }
        nextRun = now + TimeUnit.SECONDS.toNanos(or(spec.getPeriodSeconds(), 10));
        if (run(ip)) {
            failures = 0;
            if (++successes >= or(spec.getSuccessThreshold(), 1)) {
                passing = true;
            }
        } else {
            successes = 0;
            if (++failures >= or(spec.getFailureThreshold(), 3)) {
                passing = false;
            }
        }
        return passing;
    }

    /** Failed failureThreshold times in a row: for liveness and startup, time to restart the container. */
    boolean failed() {
        return failures >= or(spec.getFailureThreshold(), 3);
    }

    private boolean run(String ip) {
        int timeoutMs = or(spec.getTimeoutSeconds(), 1) * 1000;
        if (spec.getHttpGet() != null) {
            var get = spec.getHttpGet();
            return httpGet(Objects.requireNonNullElse(get.getHost(), ip), port(container, get.getPort()),
                    Objects.requireNonNullElse(get.getPath(), "/"), get.getHttpHeaders(), timeoutMs);
        }
        if (spec.getTcpSocket() != null) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(Objects.requireNonNullElse(spec.getTcpSocket().getHost(), ip),
                        port(container, spec.getTcpSocket().getPort())), timeoutMs);
                return true;
            } catch (IOException e) {
                return false;
            }
        }
        if (spec.getExec() != null) {
            return exec.test(spec.getExec().getCommand());
        }
        return false; // grpc: not run by the sandbox, so never passing, as the pod's events would tell
    }

    static boolean httpGet(String host, int port, String path, List<HTTPHeader> headers, int timeoutMs) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), timeoutMs);
            s.setSoTimeout(timeoutMs);
            StringBuilder request = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + port
                    + "\r\nUser-Agent: kube-probe/1.34\r\nConnection: close\r\n");
            if (headers != null) {
                headers.forEach(h -> request.append(h.getName()).append(": ").append(h.getValue()).append("\r\n"));
            }
            OutputStream out = s.getOutputStream();
            out.write(request.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String status = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            return status.length() == 12 && status.startsWith("HTTP/1.") && (status.charAt(9) == '2' || status.charAt(9) == '3');
        } catch (IOException e) {
            return false;
        }
    }

    static int port(Container c, IntOrString port) {
        if (port.getIntVal() != null) {
            return port.getIntVal();
        }
        return c.getPorts().stream().filter(p -> port.getStrVal().equals(p.getName()))
                .map(ContainerPort::getContainerPort).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no container port named " + port.getStrVal()));
    }

    private static int or(Integer value, int otherwise) {
        return value == null ? otherwise : value;
    }
}
