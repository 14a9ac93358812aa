package dev.usher.proxy.discovery;

/** A source that cannot work as configured, e.g. forbidden by RBAC: start-up stops with this message. */
public final class DiscoveryException extends RuntimeException {
    public DiscoveryException(String message, Throwable cause) {
        super(message, cause);
    }
}
