package dev.usher.kube;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The certificates and keys of a control plane, made with openssl: a cluster CA, the API server's
 * serving certificate, client certificates (admin, controller manager, scheduler), the service-account
 * signing key pair, and a front-proxy CA with its client, without which the controller manager and
 * the scheduler log "missing requestheader-client-ca-file" in a loop.
 */
final class Pki {

    /** A certificate and its key, as PEM files. */
    record KeyPair(Path certificate, Path key) {
    }

    private static final int DAYS = 3650;

    private final Path dir;
    final Path ca;
    final Path caKey;
    final KeyPair apiServer;
    final KeyPair admin;
    final KeyPair controllerManager;
    final KeyPair scheduler;
    final Path frontProxyCa;
    final KeyPair frontProxyClient;
    final Path serviceAccountKey;
    final Path serviceAccountPublicKey;

    /** Makes every file in dir; apiServerIps are the serving certificate's IP SANs (127.0.0.1, the first service IP). */
    Pki(Path dir, List<String> apiServerIps) throws IOException {
        this.dir = Files.createDirectories(dir);
        ca = dir.resolve("ca.crt");
        caKey = dir.resolve("ca.key");
        selfSigned("ca", "usher-local-ca");
        List<String> sans = new ArrayList<>(List.of("DNS:localhost", "DNS:kubernetes", "DNS:kubernetes.default",
                "DNS:kubernetes.default.svc", "DNS:kubernetes.default.svc.cluster.local"));
        apiServerIps.forEach(ip -> sans.add("IP:" + ip));
        apiServer = signed("apiserver", "ca", "/CN=kube-apiserver", "serverAuth", String.join(",", sans));
        admin = signed("admin", "ca", "/O=system:masters/CN=usher-admin", "clientAuth", null);
        controllerManager = signed("controller-manager", "ca", "/CN=system:kube-controller-manager", "clientAuth",
                null);
        scheduler = signed("scheduler", "ca", "/CN=system:kube-scheduler", "clientAuth", null);
        frontProxyCa = dir.resolve("front-proxy-ca.crt");
        selfSigned("front-proxy-ca", "usher-local-front-proxy-ca");
        frontProxyClient = signed("front-proxy-client", "front-proxy-ca", "/CN=front-proxy-client", "clientAuth",
                null);
        serviceAccountKey = dir.resolve("service-account.key");
        serviceAccountPublicKey = dir.resolve("service-account.pub");
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", serviceAccountKey.toString());
        openssl("pkey", "-in", serviceAccountKey.toString(), "-pubout", "-out", serviceAccountPublicKey.toString());
    }

    private void selfSigned(String name, String commonName) throws IOException {
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", Integer.toString(DAYS),
                "-subj", "/CN=" + commonName, "-keyout", file(name, "key"), "-out", file(name, "crt"),
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    }

    private KeyPair signed(String name, String ca, String subject, String usage, String sans) throws IOException {
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", file(name, "key"),
                "-out", file(name, "csr"));
        Path extensions = dir.resolve(name + ".ext");
        Files.writeString(extensions, "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                + "extendedKeyUsage=" + usage + "\n" + (sans == null ? "" : "subjectAltName=" + sans + "\n"));
        openssl("x509", "-req", "-in", file(name, "csr"), "-CA", file(ca, "crt"), "-CAkey", file(ca, "key"),
                "-CAcreateserial", "-days", Integer.toString(DAYS), "-extfile", extensions.toString(),
                "-out", file(name, "crt"));
        return new KeyPair(dir.resolve(name + ".crt"), dir.resolve(name + ".key"));
    }

    private String file(String name, String extension) {
        return dir.resolve(name + "." + extension).toString();
    }

    private void openssl(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        try {
            if (process.waitFor() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
    }
}
