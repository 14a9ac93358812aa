package dev.usher.operator.config;

import dev.usher.proxy.config.Durations;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.Help.Column;
import picocli.CommandLine.Help.TextTable;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * How the operator process runs. Every setting is a flag and an environment variable (the form a
 * Deployment sets): {@code --proxy-image} is {@code USHER_PROXY_IMAGE}; a flag wins over the variable.
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

    public OperatorConfig {
        namespaces = Set.copyOf(namespaces);
    }

    /**
     * The command line. Values stay text here, checked below with messages that name the flag whichever way the
     * value came (flag, variable or default). The proxy image's default, the operator's own version, is in the
     * resource bundle that Maven filters at build time.
     */
    @Command(name = "java -jar usher-operator.jar", resourceBundle = "usher-operator", sortOptions = false,
            usageHelpWidth = 110,
            description = {"Runs the ProxiedApp operator against the cluster of the current kubeconfig (or, in a pod,",
                "its service account).%n"},
            footerHeading = "%nEach flag can also be set by its environment variable:%n")
    static final class Flags {
        @Option(names = "--namespaces", paramLabel = "NS,...", defaultValue = "",
                description = "comma-separated namespaces to watch; empty watches all")
        String namespaces;

        @Option(names = "--proxy-image", paramLabel = "IMAGE", defaultValue = "${bundle:proxyImage}",
                description = "proxy image for ProxiedApps that set no spec.proxy.image (default: ${DEFAULT-VALUE})")
        String proxyImage;

        @Option(names = "--server-side-apply", paramLabel = "BOOL", defaultValue = "true",
                description = "write owned objects and status with server-side apply; false: plain writes (see docs/operator.md)"
                        + " (default: ${DEFAULT-VALUE})")
        String serverSideApply;

        @Option(names = "--leader-election", paramLabel = "BOOL", defaultValue = "true",
                description = "hold the Lease " + LEASE_NAME + " so only one replica reconciles (default: ${DEFAULT-VALUE})")
        String leaderElection;

        @Option(names = "--lease-namespace", paramLabel = "NS", defaultValue = "",
                description = "namespace of the Lease; empty uses the pod's (or kubeconfig's) namespace")
        String leaseNamespace;

        @Option(names = "--identity", paramLabel = "NAME", defaultValue = "",
                description = "this replica's name in the Lease and in Events; empty uses HOSTNAME")
        String identity;

        @Option(names = "--http", paramLabel = "HOST:PORT", defaultValue = "0.0.0.0:8081",
                description = "/healthz, /readyz and /metrics (default: ${DEFAULT-VALUE})")
        String http;

        @Option(names = "--resync", paramLabel = "DURATION", defaultValue = "10m",
                description = "reconcile every ProxiedApp at least this often, e.g. 30s, 10m (default: ${DEFAULT-VALUE})")
        String resync;

        @Option(names = "--help", usageHelp = true, description = "print this and exit")
        boolean help;
    }

    public static String help() {
        return commandLine(Map.of()).getUsageMessage();
    }

    /** Reads flags over environment variables over defaults; a bad value names its flag. Null: --help was asked. */
    public static OperatorConfig parse(String[] args, Map<String, String> env) {
        CommandLine command = commandLine(env);
        try {
            command.parseArgs(args);
        } catch (CommandLine.UnmatchedArgumentException e) {
            throw new IllegalArgumentException(e.getUnmatched().get(0) + ": unknown flag (see --help)", e);
        } catch (CommandLine.MissingParameterException e) {
            throw new IllegalArgumentException(((OptionSpec) e.getMissing().get(0)).longestName() + ": needs a value", e);
        } catch (CommandLine.ParameterException e) {
            throw new IllegalArgumentException(e.getMessage() + " (see --help)", e);
        }
        if (command.isUsageHelpRequested()) {
            return null;
        }
        Flags flags = command.getCommand();
        String identity = flags.identity;
        if (identity.isBlank()) {
            identity = Optional.ofNullable(env.get("HOSTNAME")).filter(h -> !h.isBlank())
                    .orElse("usher-operator-" + UUID.randomUUID().toString().substring(0, 8));
        }
        if (flags.proxyImage.isBlank()) {
            throw new IllegalArgumentException("--proxy-image: must not be empty");
        }
        return new OperatorConfig(
                Arrays.stream(flags.namespaces.split(","))
                        .map(String::trim).filter(n -> !n.isEmpty()).collect(Collectors.toSet()),
                flags.proxyImage,
                bool("--server-side-apply", flags.serverSideApply),
                bool("--leader-election", flags.leaderElection),
                Optional.of(flags.leaseNamespace.trim()).filter(n -> !n.isEmpty()),
                identity,
                address("--http", flags.http),
                duration("--resync", flags.resync));
    }

    /** Each flag's default is its variable when set: {@code --lease-namespace} reads USHER_LEASE_NAMESPACE. */
    private static CommandLine commandLine(Map<String, String> env) {
        CommandLine command = new CommandLine(new Flags());
        command.setDefaultValueProvider(arg -> arg instanceof OptionSpec o && !o.usageHelp()
                ? env.getOrDefault(variable(o), o.defaultValue()) : null);
        TextTable variables = TextTable.forColumns(Help.defaultColorScheme(Help.Ansi.OFF),
                new Column(22, 2, Column.Overflow.SPAN), new Column(40, 1, Column.Overflow.WRAP));
        command.getCommandSpec().options().stream().filter(o -> !o.usageHelp())
                .forEach(o -> variables.addRowValues(o.longestName(), variable(o)));
        command.getCommandSpec().usageMessage().footer(variables.toString());
        return command;
    }

    private static String variable(OptionSpec option) {
        return "USHER_" + option.longestName().substring(2).replace('-', '_').toUpperCase(Locale.ROOT);
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

    /** Kubernetes' durations, as the ProxiedApps and the proxy's file write them: 500ms, 30s, 10m, 1h30m. */
    static Duration duration(String flag, String value) {
        Duration d;
        try {
            d = Durations.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + ": '" + value + "' is not a duration such as 30s or 10m", e);
        }
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(flag + ": must be more than 0");
        }
        return d;
    }
}
