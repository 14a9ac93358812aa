package dev.usher.proxy.admin;

/** What the admin port shows; implemented by the server that owns the state. */
public interface AdminEndpoints {
    boolean ready();

    String notReadyReason();

    String metrics();

    String upstreamsJson();
}
