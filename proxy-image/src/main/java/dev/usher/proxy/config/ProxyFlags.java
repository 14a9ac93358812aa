package dev.usher.proxy.config;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The proxy's command line. Each flag sets one key of the config file (named in its description); values stay
 * text here, so that a bad one is reported by {@link ConfigLoader} with the key's name, as a bad file value is.
 */
@Command(name = "usher-proxy", sortOptions = false, usageHelpWidth = 110,
        description = "The Usher reverse proxy. A config file takes the same keys; flags override it.%n",
        footerHeading = "%nOther file keys, with their defaults:%n",
        footer = {
            "  upstream: {uwsgi: {modifier1: 0, bufferSize: 4096, params: {}}}   (for protocol uwsgi)",
            "  slowStart: 10s                 ramp-up for upstreams added at run time (0s = off)",
            "  limits: {maxBodySize: 10Mi, maxHeaderSize: 16Ki, maxInitialLineLength: 8Ki,",
            "           maxConnections: 10000, maxRequestsPerConnection: 1000}   (0 = no limit)",
            "  timeouts: {connect: 2s, response: 60s, idle: 300s, upstreamIdle: 60s, requestHead: 60s}",
            "  retries: {attempts: 2, budgetRatio: 0.2, minRetriesPerSecond: 10}",
            "  outlierDetection: {consecutiveFailures: 5, baseEjection: 10s, maxEjection: 5m, panicThresholdPercent: 50}",
            "  connectionPool: {maxIdlePerUpstream: 256}",
            "  queue: {maxLength: 1000, timeout: 30s}   where requests wait while every upstream is at its concurrency",
            "  buffering: {request: true for uwsgi/false for http, memory: 16Ki, directory: java.io.tmpdir, response: 0}",
            "           request: read a whole body before taking an upstream; response: bytes held for a slow client",
            "  shutdown: {delay: 0s, drainTimeout: 30s}",
            "  readiness: {requireUpstream: false}   true: /readyz fails while no upstream is ready"})
final class ProxyFlags {
    @Option(names = "--config", paramLabel = "FILE", description = "YAML or JSON file with the config keys")
    Path config;

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "client-facing HTTP listener (listen, default 0.0.0.0:8080)")
    String listen;

    @Option(names = "--admin", paramLabel = "HOST:PORT",
            description = "/healthz /readyz /metrics /upstreams (admin, default 0.0.0.0:9901)")
    String admin;

    @Option(names = "--upstream", paramLabel = "HOST:PORT", description = "a static upstream; repeat for more (upstream.static)")
    List<String> upstreams;

    @Option(names = "--protocol", paramLabel = "NAME",
            description = "http | uwsgi: how to speak to upstreams (upstream.protocol, default http)")
    String protocol;

    @Option(names = "--discovery", paramLabel = "kubernetes",
            description = "follow a Service's EndpointSlices instead of static upstreams (upstream.kubernetes)")
    String discovery;

    @Option(names = "--namespace", paramLabel = "NS", description = "the Service's namespace, required (upstream.kubernetes.namespace)")
    String namespace;

    @Option(names = "--service", paramLabel = "NAME", description = "the Service, required (upstream.kubernetes.service)")
    String service;

    @Option(names = "--port", paramLabel = "NAME|NUMBER", description = "its port name, or the endpoints' port number; optional "
            + "when the slices have a single port (upstream.kubernetes.port)")
    String port;

    @Option(names = "--kubeconfig", paramLabel = "FILE", description = "default: KUBECONFIG or ~/.kube/config if present, "
            + "else the pod's service account (upstream.kubernetes.kubeconfig)")
    String kubeconfig;

    @Option(names = "--concurrency", paramLabel = "N",
            description = "requests one upstream takes at once, e.g. its uWSGI processes; 0 = no limit (upstream.concurrency)")
    String concurrency;

    @Option(names = "--load-balancing", paramLabel = "NAME",
            description = "least-request | round-robin (loadBalancing, default least-request)")
    String loadBalancing;

    @Option(names = "--event-loops", paramLabel = "N", description = "I/O threads, 0 = one per core (eventLoops, default 0)")
    String eventLoops;

    @Option(names = "--access-log", description = "one structured line per request (accessLog, default false)")
    boolean accessLog;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "this text")
    boolean help;

    /** The keys the flags set, as a tree to lay over the file's. */
    ObjectNode toTree() {
        ObjectNode tree = JsonNodeFactory.instance.objectNode();
        putIfSet(tree, "listen", listen);
        putIfSet(tree, "admin", admin);
        putIfSet(tree, "loadBalancing", loadBalancing);
        putIfSet(tree, "eventLoops", eventLoops);
        if (accessLog) {
            tree.put("accessLog", true);
        }
        if (protocol != null) {
            tree.withObjectProperty("upstream").put("protocol", protocol);
        }
        if (concurrency != null) {
            tree.withObjectProperty("upstream").put("concurrency", concurrency);
        }
        if (upstreams != null) {
            upstreams.forEach(u -> tree.withObjectProperty("upstream").withArray("static").add(u));
        }
        if (discovery != null) {
            if (!discovery.equals("kubernetes")) {
                throw new ConfigException("--discovery: '" + discovery + "' is not a discovery source: use kubernetes"
                        + " (static upstreams are given with --upstream)");
            }
            kubernetes(tree);
        }
        // Each of these sets the upstream.kubernetes key of its own name.
        putKubernetes(tree, "namespace", namespace);
        putKubernetes(tree, "service", service);
        putKubernetes(tree, "port", port);
        putKubernetes(tree, "kubeconfig", kubeconfig);
        return tree;
    }

    private static ObjectNode kubernetes(ObjectNode tree) {
        return tree.withObjectProperty("upstream").withObjectProperty("kubernetes");
    }

    private static void putIfSet(ObjectNode tree, String key, String value) {
        if (value != null) {
            tree.put(key, value);
        }
    }

    private static void putKubernetes(ObjectNode tree, String key, String value) {
        if (value != null) {
            kubernetes(tree).put(key, value);
        }
    }
}
