package dev.usher.sandbox;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the proxy jar that proxy Pods run is: the build's proxy-image/target, from the repository root or a module. */
final class ProxyJar {

    static Path find() {
        String explicit = System.getProperty("usher.proxy.jar");
        if (explicit != null) {
            return Path.of(explicit);
        }
        for (Path candidate : new Path[] {Path.of("proxy-image/target/usher-proxy.jar"), Path.of("../proxy-image/target/usher-proxy.jar")}) {
            if (Files.exists(candidate)) {
                return candidate.toAbsolutePath().normalize();
            }
        }
        throw new IllegalStateException("proxy-image/target/usher-proxy.jar not found: run from the repository root"
                + " after `mvn -B -DskipTests package` (or set -Dusher.proxy.jar=...)");
    }

    private ProxyJar() {
    }
}
