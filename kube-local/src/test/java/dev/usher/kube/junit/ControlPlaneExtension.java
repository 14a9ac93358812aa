package dev.usher.kube.junit;

import dev.usher.kube.ControlPlane;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One {@link ControlPlane} per test JVM, started by the first test that asks for it (a parameter of
 * type ControlPlane, e.g. of a {@code @BeforeAll} method) and stopped when the JVM's tests are done.
 * Its files are in target/control-plane-*. Without the binaries it fails, naming bin/kubernetes.sh.
 */
public final class ControlPlaneExtension implements ParameterResolver {

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == ControlPlane.class;
    }

    @Override
    public ControlPlane resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(ControlPlane.class, key -> start(), ControlPlane.class);
    }

    private static ControlPlane start() {
        try {
            Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "control-plane-");
            return ControlPlane.start(ControlPlane.Settings.defaults(dir.toAbsolutePath()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
