package dev.usher.operator.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** Build-time defaults: the proxy image carries the operator's own version, so the two ship in step. */
final class Defaults {

    private Defaults() {
    }

    static String proxyImage() {
        try (InputStream in = Defaults.class.getResourceAsStream("/usher-operator.properties")) {
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("proxyImage");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
