package dev.usher.proxy.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine;

/**
 * Builds a {@link ProxyConfig} from an optional file plus command-line flags. Flags are laid over the file's
 * tree before binding, so both are checked by the same rules and a flag always wins.
 */
public final class ConfigLoader {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private ConfigLoader() {}

    /** Parses flags (and the file named by --config); returns null when --help was asked for. */
    public static ProxyConfig fromArgs(String... args) {
        ProxyFlags flags = new ProxyFlags();
        CommandLine command = new CommandLine(flags);
        try {
            command.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            throw new ConfigException(e.getMessage() + " (see --help)");
        }
        if (command.isUsageHelpRequested()) {
            return null;
        }
        ObjectNode file = flags.config == null ? YAML.createObjectNode() : readFile(flags.config);
        ObjectNode overrides = flags.toTree();
        return bind(overlay(withoutReplacedSource(file, overrides), overrides));
    }

    /** The flags and file keys, generated from {@link ProxyFlags}. */
    public static String usage() {
        return new CommandLine(new ProxyFlags()).getUsageMessage();
    }

    /** A source chosen by flags replaces the file's other source, as any flag overrides the file. */
    private static ObjectNode withoutReplacedSource(ObjectNode file, ObjectNode flags) {
        JsonNode flagged = flags.get("upstream");
        JsonNode fileUpstream = file.get("upstream");
        if (flagged == null || !(fileUpstream instanceof ObjectNode)) {
            return file;
        }
        ObjectNode copy = file.deepCopy();
        ObjectNode up = (ObjectNode) copy.get("upstream");
        if (flagged.has("static")) {
            up.remove("kubernetes");
        }
        if (flagged.has("kubernetes")) {
            up.remove("static");
        }
        return copy;
    }

    public static ProxyConfig fromYaml(String yaml) {
        return bind(parse(yaml, "config"));
    }


    private static ObjectNode readFile(Path file) {
        try {
            return parse(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
        }
    }

    private static ObjectNode parse(String text, String source) {
        try {
            JsonNode root = YAML.readTree(text);
            if (root == null || root.isMissingNode() || root.isNull()) {
                return YAML.createObjectNode();
            }
            if (!root.isObject()) {
                throw new ConfigException(source + ": the top level must be a mapping of keys");
            }
            return (ObjectNode) root;
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": not valid YAML/JSON: " + e.getOriginalMessage());
        }
    }

    /** Flags replace scalars; a flag-given upstream list replaces the file's list rather than merging into it. */
    private static ObjectNode overlay(ObjectNode base, ObjectNode top) {
        ObjectNode merged = base.deepCopy();
        top.fields().forEachRemaining(e -> {
            JsonNode existing = merged.get(e.getKey());
            if (e.getValue().isObject() && existing != null && existing.isObject()) {
                merged.set(e.getKey(), overlay((ObjectNode) existing, (ObjectNode) e.getValue()));
            } else {
                merged.set(e.getKey(), e.getValue() instanceof ArrayNode a ? a.deepCopy() : e.getValue());
            }
        });
        return merged;
    }

    private static ProxyConfig bind(ObjectNode tree) {
        ConfigNode root = new ConfigNode("", tree);
        HostPort listen = root.parsed("listen", new HostPort("0.0.0.0", 8080), HostPort::parse);
        HostPort admin = root.parsed("admin", new HostPort("0.0.0.0", 9901), HostPort::parse);
        int eventLoops = root.integer("eventLoops", 0, 0, 256);
        String lbName = root.string("loadBalancing", LoadBalancing.LEAST_REQUEST.key());
        LoadBalancing lb = LoadBalancing.fromKey(lbName);
        if (lb == null) {
            throw ConfigException.at("loadBalancing", "'" + lbName + "' is not one of " + LoadBalancing.keys());
        }
        Duration slowStart = root.duration("slowStart", Duration.ofSeconds(10));
        boolean accessLog = root.bool("accessLog", false);

        ConfigNode up = root.object("upstream");
        var protocol = up.parsed("protocol", UpstreamConfig.BackendProtocolName.HTTP, UpstreamConfig.BackendProtocolName::parse);
        boolean isStatic = up.has("static");
        ConfigNode k8s = up.object("kubernetes");
        boolean isKubernetes = up.has("kubernetes");
        if (isStatic && isKubernetes) {
            throw ConfigException.at("upstream", "give either upstream.static or upstream.kubernetes, not both");
        }
        if (!isStatic && !isKubernetes) {
            throw ConfigException.at("upstream", "no upstreams: give upstream.static (--upstream HOST:PORT) or "
                    + "upstream.kubernetes (--discovery kubernetes --namespace NS --service NAME)");
        }
        List<HostPort> staticUpstreams = up.list("static", HostPort::parse);
        UpstreamConfig.Kubernetes kubernetes = isKubernetes ? kubernetes(k8s) : null;
        ConfigNode uw = up.object("uwsgi");
        UwsgiSettings uwsgi = new UwsgiSettings(
                uw.integer("modifier1", UwsgiSettings.DEFAULTS.modifier1(), 0, 255),
                uw.integer("bufferSize", UwsgiSettings.DEFAULTS.bufferSize(), 512, 65535),
                uw.stringMap("params"));
        uw.requireNoOtherKeys();
        int concurrency = up.integer("concurrency", 0, 0, 100_000);
        up.requireNoOtherKeys();
        UpstreamConfig upstream = new UpstreamConfig(protocol, staticUpstreams, kubernetes, uwsgi, concurrency);
        if (isStatic && upstream.staticUpstreams().isEmpty()) {
            throw ConfigException.at("upstream.static", "no upstreams: give at least one (--upstream HOST:PORT)");
        }

        ConfigNode lim = root.object("limits");
        ProxyConfig.Limits limits = new ProxyConfig.Limits(
                lim.size("maxBodySize", 10L << 20),
                (int) Math.min(Integer.MAX_VALUE, lim.size("maxHeaderSize", 16 << 10)),
                (int) Math.min(Integer.MAX_VALUE, lim.size("maxInitialLineLength", 8 << 10)),
                lim.integer("maxConnections", 10_000, 0, Integer.MAX_VALUE),
                lim.integer("maxRequestsPerConnection", 1000, 0, Integer.MAX_VALUE));
        lim.requireNoOtherKeys();

        ConfigNode t = root.object("timeouts");
        ProxyConfig.Timeouts timeouts = new ProxyConfig.Timeouts(
                t.positiveDuration("connect", Duration.ofSeconds(2)),
                t.positiveDuration("response", Duration.ofSeconds(60)),
                t.positiveDuration("idle", Duration.ofSeconds(300)),
                t.positiveDuration("upstreamIdle", Duration.ofSeconds(60)),
                t.positiveDuration("requestHead", Duration.ofSeconds(60)));
        t.requireNoOtherKeys();

        ConfigNode r = root.object("retries");
        ProxyConfig.Retries retries = new ProxyConfig.Retries(
                r.integer("attempts", 2, 1, 10),
                r.fraction("budgetRatio", 0.2, 0.0, 1.0),
                r.integer("minRetriesPerSecond", 10, 0, 100_000));
        r.requireNoOtherKeys();

        ConfigNode o = root.object("outlierDetection");
        ProxyConfig.OutlierDetection outliers = new ProxyConfig.OutlierDetection(
                o.integer("consecutiveFailures", 5, 1, 1000),
                o.positiveDuration("baseEjection", Duration.ofSeconds(10)),
                o.positiveDuration("maxEjection", Duration.ofMinutes(5)),
                o.integer("panicThresholdPercent", 50, 0, 100));
        o.requireNoOtherKeys();

        ConfigNode pool = root.object("connectionPool");
        int maxIdle = pool.integer("maxIdlePerUpstream", 256, 0, 100_000);
        pool.requireNoOtherKeys();

        ConfigNode s = root.object("shutdown");
        ProxyConfig.Shutdown shutdown = new ProxyConfig.Shutdown(
                s.duration("delay", Duration.ZERO),
                s.duration("drainTimeout", Duration.ofSeconds(30)));
        s.requireNoOtherKeys();

        ConfigNode q = root.object("queue");
        ProxyConfig.Queue queue = new ProxyConfig.Queue(
                q.integer("maxLength", 1000, 0, 1_000_000),
                q.positiveDuration("timeout", Duration.ofSeconds(30)));
        q.requireNoOtherKeys();

        ConfigNode b = root.object("buffering");
        ProxyConfig.Buffering buffering = new ProxyConfig.Buffering(
                b.bool("request", protocol == UpstreamConfig.BackendProtocolName.UWSGI),
                b.size("memory", 16 << 10),
                b.parsed("directory", Path.of(System.getProperty("java.io.tmpdir")), Path::of),
                b.size("response", 0));
        b.requireNoOtherKeys();

        ConfigNode ready = root.object("readiness");
        ProxyConfig.Readiness readiness = new ProxyConfig.Readiness(ready.bool("requireUpstream", false));
        ready.requireNoOtherKeys();

        root.requireNoOtherKeys();
        return new ProxyConfig(listen, admin, eventLoops, upstream, lb, slowStart, limits, timeouts, retries,
                outliers, maxIdle, queue, buffering, shutdown, accessLog, readiness);
    }

    private static UpstreamConfig.Kubernetes kubernetes(ConfigNode k) {
        String namespace = k.required("namespace");
        String service = k.required("service");
        String port = k.string("port", null);
        if (port != null && port.isBlank()) {
            throw ConfigException.at("upstream.kubernetes.port", "must not be empty: a port name or number, or leave it out");
        }
        Path kubeconfig = k.parsed("kubeconfig", null, Path::of);
        k.requireNoOtherKeys();
        return new UpstreamConfig.Kubernetes(namespace, service, port, kubeconfig);
    }

}
