package dev.usher.proxy.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;

/**
 * Builds a {@link ProxyConfig} from an optional file plus command-line flags. Flags are laid over the file's
 * tree before binding, so both are checked by the same rules and a flag always wins.
 */
public final class ConfigLoader {

    private ConfigLoader() {}

    /** Parses flags (and the file named by --config); returns null when --help was asked for. */
    public static ProxyConfig fromArgs(String... args) {
        ProxyFlags flags = new ProxyFlags();
        CommandLine command = ProxyFlags.commandLine(flags);
        CommandLine.ParseResult parsed;
        try {
            parsed = command.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            throw new ConfigException(e.getMessage() + " (see --help)");
        }
        if (command.isUsageHelpRequested()) {
            return null;
        }
        ObjectNode file = flags.config == null ? ProxyConfigYaml.emptyTree() : readFile(flags.config);
        ObjectNode overrides = flags.toTree(parsed);
        return ProxyConfigYaml.bind(overlay(withoutReplacedSource(file, overrides), overrides));
    }

    /** The flags, and the file keys with their defaults, generated from {@link ProxyFlags} and the schema. */
    public static String usage() {
        return ProxyFlags.commandLine(new ProxyFlags()).getUsageMessage();
    }

    public static ProxyConfig fromYaml(String yaml) {
        return ProxyConfigYaml.read(yaml, "config");
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

    private static ObjectNode readFile(Path file) {
        try {
            return ProxyConfigYaml.tree(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
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
}
