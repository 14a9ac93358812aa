package dev.usher.proxy.endpoints;

import java.net.InetSocketAddress;

/**
 * One backend address as a discovery source reports it. {@code ready} false means fenced: it keeps the requests
 * it has but takes no new ones (a Kubernetes endpoint that is terminating, or not yet ready).
 */
public record Endpoint(InetSocketAddress address, boolean ready) {}
