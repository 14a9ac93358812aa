package dev.usher.sandbox;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A container's readiness probe run against the Pod's IP: httpGet (2xx or 3xx) or tcpSocket; without
 * one, a TCP connect to the first port. It runs on every node pass: the probe's period and
 * thresholds are not simulated, which only makes the sandbox react faster than a kubelet.
 */
record Probe(String path, int port) {

    private static final int TIMEOUT_MS = 500;

    static Probe of(Container c) {
        var probe = c.getReadinessProbe();
        if (probe != null && probe.getHttpGet() != null) {
            return new Probe(probe.getHttpGet().getPath() == null ? "/" : probe.getHttpGet().getPath(),
                    port(c, probe.getHttpGet().getPort()));
        }
        if (probe != null && probe.getTcpSocket() != null) {
            return new Probe(null, port(c, probe.getTcpSocket().getPort()));
        }
        return new Probe(null, c.getPorts().isEmpty() ? 0 : c.getPorts().get(0).getContainerPort());
    }

    static int port(Container c, IntOrString port) {
        if (port.getIntVal() != null) {
            return port.getIntVal();
        }
        return c.getPorts().stream().filter(p -> port.getStrVal().equals(p.getName()))
                .map(ContainerPort::getContainerPort).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no container port named " + port.getStrVal()));
    }

    boolean passes(String ip) {
        if (port == 0) {
            return true;
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(ip, port), TIMEOUT_MS);
            if (path == null) {
                return true;
            }
            s.setSoTimeout(TIMEOUT_MS);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + ip + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] head = in.readNBytes(12);
            String status = new String(head, StandardCharsets.US_ASCII);
            return status.startsWith("HTTP/1.") && (status.charAt(9) == '2' || status.charAt(9) == '3');
        } catch (IOException | StringIndexOutOfBoundsException e) {
            return false;
        }
    }
}
