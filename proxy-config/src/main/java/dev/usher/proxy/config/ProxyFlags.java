package dev.usher.proxy.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.ListResourceBundle;
import java.util.Set;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.Help.Column;
import picocli.CommandLine.Help.TextTable;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * The proxy's command line. Each flag sets the config key named by its {@code descriptionKey}; its help text, the
 * key's default and the list of the other keys come from the schema's {@link ConfigOption}s. Values stay text here,
 * so that a bad one is reported with the key's name, as a bad file value is.
 */
@Command(name = "usher-proxy", sortOptions = false, usageHelpWidth = ProxyFlags.WIDTH,
        description = "The Usher reverse proxy. A config file takes the same keys; flags override it.%n",
        footerHeading = "%nOther file keys, with their defaults (durations: 500ms, 2s, 1h30m; sizes: 512, 16Ki, 10Mi):%n")
final class ProxyFlags {
    static final int WIDTH = 110;

    @Option(names = "--config", paramLabel = "FILE", description = "YAML or JSON file with the config keys")
    Path config;

    @Option(names = "--listen", paramLabel = "HOST:PORT", descriptionKey = "listen")
    String listen;

    @Option(names = "--admin", paramLabel = "HOST:PORT", descriptionKey = "admin")
    String admin;

    @Option(names = "--upstream", paramLabel = "HOST:PORT", descriptionKey = "upstream.static")
    List<String> upstreams;

    @Option(names = "--protocol", paramLabel = "NAME", descriptionKey = "upstream.protocol")
    String protocol;

    @Option(names = "--discovery", paramLabel = "kubernetes",
            description = "follow a Service's EndpointSlices instead of static upstreams (upstream.kubernetes)")
    String discovery;

    @Option(names = "--namespace", paramLabel = "NS", descriptionKey = "upstream.kubernetes.namespace")
    String namespace;

    @Option(names = "--service", paramLabel = "NAME", descriptionKey = "upstream.kubernetes.service")
    String service;

    @Option(names = "--port", paramLabel = "NAME|NUMBER", descriptionKey = "upstream.kubernetes.port")
    String port;

    @Option(names = "--kubeconfig", paramLabel = "FILE", descriptionKey = "upstream.kubernetes.kubeconfig")
    String kubeconfig;

    @Option(names = "--concurrency", paramLabel = "N", descriptionKey = "upstream.concurrency")
    String concurrency;

    @Option(names = "--load-balancing", paramLabel = "NAME", descriptionKey = "loadBalancing")
    String loadBalancing;

    @Option(names = "--event-loops", paramLabel = "N", descriptionKey = "eventLoops")
    String eventLoops;

    @Option(names = "--transport", paramLabel = "NAME", descriptionKey = "transport")
    String transport;

    @Option(names = "--warmup-requests", paramLabel = "N", descriptionKey = "warmup.requests")
    String warmupRequests;

    @Option(names = "--access-log", descriptionKey = "accessLog")
    boolean accessLog;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "this text")
    boolean help;

    static CommandLine commandLine(ProxyFlags flags) {
        CommandLine command = new CommandLine(flags);
        command.setResourceBundle(new KeyDescriptions());
        Set<String> flagged = command.getCommandSpec().options().stream().map(OptionSpec::descriptionKey)
                .collect(Collectors.toSet());
        TextTable footer = TextTable.forColumns(Help.defaultColorScheme(Help.Ansi.OFF),
                new Column(44, 2, Column.Overflow.SPAN), new Column(WIDTH - 44, 1, Column.Overflow.WRAP));
        for (ConfigKeys.Key key : ConfigKeys.ALL) {
            if (!flagged.contains(key.option().key())) {
                footer.addRowValues(key.option().key() + ": " + key.defaultText(), key.option().description());
            }
        }
        command.getCommandSpec().usageMessage().footer(footer.toString());
        return command;
    }

    /** The keys the flags set, as a tree to lay over the file's. */
    ObjectNode toTree(CommandLine.ParseResult parsed) {
        ObjectNode tree = ProxyConfigYaml.emptyTree();
        if (discovery != null) {
            if (!discovery.equals("kubernetes")) {
                throw new ConfigException("--discovery: '" + discovery + "' is not a discovery source: use kubernetes"
                        + " (static upstreams are given with --upstream)");
            }
            tree.withObjectProperty("upstream").withObjectProperty("kubernetes");
        }
        // A repeated flag is matched once per occurrence; its value is the whole list.
        for (OptionSpec option : new LinkedHashSet<>(parsed.matchedOptions())) {
            String key = option.descriptionKey();
            if (key.isEmpty()) {
                continue;
            }
            ObjectNode parent = tree;
            String[] path = key.split("\\.");
            for (int i = 0; i < path.length - 1; i++) {
                parent = parent.withObjectProperty(path[i]);
            }
            String name = path[path.length - 1];
            Object value = option.getValue();
            if (value instanceof List<?> list) {
                ObjectNode owner = parent;
                list.forEach(item -> owner.withArray(name).add(item.toString()));
            } else if (value instanceof Boolean b) {
                parent.put(name, b);
            } else {
                parent.put(name, value.toString());
            }
        }
        return tree;
    }

    /** Each flag's help: its key's description, the key and its default, from the schema. */
    private static final class KeyDescriptions extends ListResourceBundle {
        @Override
        protected Object[][] getContents() {
            return ConfigKeys.ALL.stream()
                    .map(k -> new Object[] {k.option().key(), k.option().description() + " (" + k.option().key()
                            + (k.option().required() ? ", required"
                                    : k.option().defaultValue() != null ? ", default " + k.defaultText() : "") + ")"})
                    .toArray(Object[][]::new);
        }
    }
}
