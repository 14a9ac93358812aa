package dev.usher.proxy.discovery;

import java.util.Locale;

/** What a source says about one endpoint, and so what the pool does with it. Declared best first. */
public enum EndpointCondition {
    /** Takes new requests. */
    READY,
    /** Shutting down but still serving: fenced, finishes its in-flight requests, takes no new ones. */
    TERMINATING,
    /** Neither ready nor serving: left out of the pool (in-flight requests still finish, pooled connections close). */
    NOT_READY;

    public boolean inPool() {
        return this != NOT_READY;
    }

    /** The name the admin view shows, e.g. {@code not-ready}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
