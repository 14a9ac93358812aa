package dev.usher.sandbox.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What an image runs, in a sandbox without a container runtime: its entrypoint as a local command,
 * run in the folder of the file that maps it. Files are YAML, {@code images: {<image>: {command: [...]}}},
 * named {@value #FILE} (not .yaml, so that {@code kubectl apply -f} skips them). An image matches its
 * exact name, or its repository without the tag. The pod's command replaces the entrypoint and its
 * args follow, as in Kubernetes; {@code ${VAR}} in the mapped command is taken from the container's
 * environment. The sandbox's own defaults ({@value #DEFAULTS}) map the operator's and the proxy's
 * images to the jars the build makes, relative to the repository root.
 */
public final class ImageMap {

    public static final String FILE = "sandbox.images";
    static final String DEFAULTS = "/dev/usher/sandbox/default.images";
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern VAR = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

    /** A mapped entrypoint and the folder it runs in. */
    record Entrypoint(List<String> command, Path workDir) {
    }

    private final Map<String, Entrypoint> images = new LinkedHashMap<>();
    private final List<String> sources = new ArrayList<>();

    /** The defaults, resolved against the repository root, then each file in order (later ones win). */
    public static ImageMap load(Path root, List<Path> files) {
        ImageMap map = new ImageMap();
        try (InputStream in = ImageMap.class.getResourceAsStream(DEFAULTS)) {
            map.read(YAML.readTree(in), root, "the sandbox's defaults");
            for (Path file : files) {
                map.read(YAML.readTree(file.toFile()), file.toAbsolutePath().getParent(), file.toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return map;
    }

    private void read(JsonNode doc, Path dir, String source) {
        doc.path("images").properties().forEach(e -> {
            List<String> command = new ArrayList<>();
            e.getValue().path("command").forEach(a -> command.add(a.asText()));
            if (command.isEmpty()) {
                throw new IllegalArgumentException(source + ": images." + e.getKey() + ".command: must be a non-empty list");
            }
            images.put(e.getKey(), new Entrypoint(List.copyOf(command), dir));
        });
        sources.add(source);
    }

    Optional<Entrypoint> entrypoint(String image) {
        Entrypoint exact = images.get(image);
        if (exact != null) {
            return Optional.of(exact);
        }
        int slash = image.lastIndexOf('/');
        int colon = image.lastIndexOf(':');
        return Optional.ofNullable(colon > slash ? images.get(image.substring(0, colon)) : null);
    }

    /** Why an image does not run, for the pod's status. */
    String unmapped(String image) {
        return "image " + image + " has no local command in the sandbox (mapped: " + String.join(", ", images.keySet())
                + "; read " + String.join(", ", sources) + "): add it under images: in a " + FILE + " file";
    }

    /** The ${VAR} of a mapped command, from the container's environment. */
    static List<String> expand(List<String> argv, Map<String, String> env) {
        List<String> out = new ArrayList<>();
        for (String arg : argv) {
            Matcher m = VAR.matcher(arg);
            out.add(m.replaceAll(r -> Matcher.quoteReplacement(env.getOrDefault(r.group(1), ""))));
        }
        return out;
    }

    /** The folders a list of example folders holds {@value #FILE} files in. */
    public static List<Path> filesIn(List<Path> dirs) {
        return dirs.stream().map(d -> d.resolve(FILE)).filter(Files::exists).toList();
    }
}
