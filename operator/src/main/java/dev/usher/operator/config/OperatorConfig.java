package dev.usher.operator.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * How the operator process runs. Every setting is a flag and an environment variable (the form a
 * Deployment sets); a flag wins over the variable.
 *
 * @param namespaces     namespaces to watch; empty means all
 * @param proxyImage     the proxy image when a ProxiedApp names none
 * @param serverSideApply write owned objects and status with server-side apply
 * @param leaderElection hold a Lease so that only one replica reconciles
 * @param leaseNamespace where the Lease lives; empty means the client's namespace
 * @param identity       this replica's name in the Lease and in Events
 * @param http           address of /healthz, /readyz and /metrics
 * @param resync         every ProxiedApp is reconciled at least this often
 */
public record OperatorConfig(
        Set<String> namespaces,
        String proxyImage,
        boolean serverSideApply,
        boolean leaderElection,
        Optional<String> leaseNamespace,
        String identity,
        InetSocketAddress http,
        Duration resync) {

    public static final String LEASE_NAME = "usher-operator";

    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

    public OperatorConfig {
        namespaces = Set.copyOf(namespaces);
    }

    /** One setting: its flag, its environment variable, its default and what it does. */
    private record Setting(String flag, String env, String fallback, String help) {
    }

    private static final List<Setting> SETTINGS = List.of(
            new Setting("--namespaces", "USHER_NAMESPACES", "",
                    "comma-separated namespaces to watch; empty watches all"),
            new Setting("--proxy-image", "USHER_PROXY_IMAGE", Defaults.proxyImage(),
                    "proxy image for ProxiedApps that set no spec.proxy.image"),
            new Setting("--server-side-apply", "USHER_SERVER_SIDE_APPLY", "true",
                    "write owned objects and status with server-side apply; false: plain writes (see README)"),
            new Setting("--leader-election", "USHER_LEADER_ELECTION", "true",
                    "hold the Lease " + LEASE_NAME + " so only one replica reconciles"),
            new Setting("--lease-namespace", "USHER_LEASE_NAMESPACE", "",
                    "namespace of the Lease; empty uses the pod's (or kubeconfig's) namespace"),
            new Setting("--identity", "USHER_IDENTITY", "",
                    "this replica's name in the Lease and in Events; empty uses HOSTNAME"),
            new Setting("--http", "USHER_HTTP", "0.0.0.0:8081",
                    "host:port of /healthz, /readyz and /metrics"),
            new Setting("--resync", "USHER_RESYNC", "10m",
                    "reconcile every ProxiedApp at least this often (e.g. 30s, 10m)"));

    public static String help() {
        StringBuilder out = new StringBuilder("""
                Usage: java -jar usher-operator.jar [--flag value]...

                Runs the ProxiedApp operator against the cluster of the current kubeconfig (or, in a pod,
                its service account). Each flag can also be set by its environment variable.

                """);
        for (Setting s : SETTINGS) {
            out.append(String.format(Locale.ROOT, "  %-20s %-24s %s%n", s.flag(), s.env(), s.help()));
            out.append(String.format(Locale.ROOT, "  %-20s %-24s default: %s%n", "", "",
                    s.fallback().isEmpty() ? "(empty)" : s.fallback()));
        }
        out.append("  --help                                       print this and exit\n");
        return out.toString();
    }

    /** Reads flags over environment variables over defaults; a bad value names its flag. */
    public static OperatorConfig parse(String[] args, Map<String, String> env) {
        Map<String, String> values = new LinkedHashMap<>();
        for (Setting s : SETTINGS) {
            values.put(s.flag(), env.getOrDefault(s.env(), s.fallback()));
        }
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String value = null;
            int eq = arg.indexOf('=');
            if (eq > 0) {
                value = arg.substring(eq + 1);
                arg = arg.substring(0, eq);
            }
            if (!values.containsKey(arg)) {
                throw new IllegalArgumentException(arg + ": unknown flag (see --help)");
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(arg + ": needs a value");
                }
                value = args[++i];
            }
            values.put(arg, value);
        }
        String identity = values.get("--identity");
        if (identity.isBlank()) {
            identity = Optional.ofNullable(env.get("HOSTNAME")).filter(h -> !h.isBlank())
                    .orElse("usher-operator-" + UUID.randomUUID().toString().substring(0, 8));
        }
        String image = values.get("--proxy-image");
        if (image.isBlank()) {
            throw new IllegalArgumentException("--proxy-image: must not be empty");
        }
        return new OperatorConfig(
                Arrays.stream(values.get("--namespaces").split(","))
                        .map(String::trim).filter(n -> !n.isEmpty()).collect(Collectors.toSet()),
                image,
                bool("--server-side-apply", values.get("--server-side-apply")),
                bool("--leader-election", values.get("--leader-election")),
                Optional.of(values.get("--lease-namespace").trim()).filter(n -> !n.isEmpty()),
                identity,
                address("--http", values.get("--http")),
                duration("--resync", values.get("--resync")));
    }

    private static boolean bool(String flag, String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(flag + ": '" + value + "' is not true or false");
        };
    }

    private static InetSocketAddress address(String flag, String value) {
        int colon = value.lastIndexOf(':');
        try {
            int port = Integer.parseInt(value.substring(colon + 1));
            String host = colon > 0 ? value.substring(0, colon) : "0.0.0.0";
            return new InetSocketAddress(host, port);
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException(flag + ": '" + value + "' is not host:port", e);
        }
    }

    /** The Go-style durations that ProxiedApps use too: 500ms, 30s, 10m, 1h. */
    static Duration duration(String flag, String value) {
        var m = DURATION.matcher(value.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(flag + ": '" + value + "' is not a duration such as 30s or 10m");
        }
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
        if (d.isZero()) {
            throw new IllegalArgumentException(flag + ": must be more than 0");
        }
        return d;
    }
}
