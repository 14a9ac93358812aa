package dev.usher.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.usher.operator.resource.CrdSchema;
import dev.usher.operator.resource.ProxiedApp;
import dev.usher.operator.resource.ProxiedAppSpec;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What `kubectl apply -f examples/<name>/` sends: valid objects, ProxiedApps the CRD's schema accepts. */
class ExamplesTest {

    private static final Path EXAMPLES = Helm.REPOSITORY.resolve("examples");
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final CrdSchema SCHEMA = new CrdSchema();

    static Stream<Path> folders() throws IOException {
        try (Stream<Path> list = Files.list(EXAMPLES)) {
            return list.filter(Files::isDirectory).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "examples/{0}")
    @MethodSource("folders")
    void everyObjectIsValidAndEveryProxiedAppPassesTheCrdSchema(Path folder) throws IOException {
        assertThat(folder.resolve("README.md")).as("each example explains itself").isRegularFile();
        List<HasMetadata> objects = objects(folder);
        assertThat(objects).as("something to apply").isNotEmpty();

        for (Path file : manifests(folder)) {
            try (var parser = YAML.createParser(file.toFile())) {
                for (JsonNode document : YAML.readValues(parser, JsonNode.class).readAll()) {
                    if (document.path("kind").asText().equals(HasMetadata.getKind(ProxiedApp.class))) {
                        assertThat(SCHEMA.violations(YAML.writeValueAsString(document))).as("%s", file).isEmpty();
                    }
                }
            }
        }

        for (HorizontalPodAutoscaler hpa : only(objects, HorizontalPodAutoscaler.class)) {
            var target = hpa.getSpec().getScaleTargetRef();
            assertThat(target.getApiVersion()).isEqualTo(HasMetadata.getApiVersion(ProxiedApp.class));
            assertThat(target.getKind()).isEqualTo(HasMetadata.getKind(ProxiedApp.class));
            assertThat(only(objects, ProxiedApp.class)).as("the HPA's target is in the example")
                    .anyMatch(app -> app.getMetadata().getName().equals(target.getName()));
        }
    }

    @Test
    void flaskAppListensWhereTheProxiedAppSaysAndSpeaksUwsgi() throws IOException {
        Path folder = EXAMPLES.resolve("flask-uwsgi");
        ProxiedApp app = only(objects(folder), ProxiedApp.class).get(0);
        String ini = Files.readString(folder.resolve("uwsgi.ini"));

        assertThat(app.getSpec().protocol()).isEqualTo(ProxiedAppSpec.Protocol.UWSGI);
        assertThat(setting(ini, "socket")).as("uwsgi protocol on the app's port")
                .endsWith(":" + app.getSpec().port());
        assertThat(folder.resolve(setting(ini, "module").split(":")[0] + ".py")).isRegularFile();
        Matcher copy = Pattern.compile("(?m)^COPY (.+) \\./$").matcher(Files.readString(folder.resolve("Dockerfile")));
        assertThat(copy.find()).isTrue();
        for (String source : copy.group(1).split("\\s+")) {
            assertThat(folder.resolve(source)).as("COPY %s", source).isRegularFile();
        }
    }

    private static String setting(String ini, String key) {
        Matcher m = Pattern.compile("(?m)^" + key + "\\s*=\\s*(\\S+)").matcher(ini);
        assertThat(m.find()).as("uwsgi.ini sets %s", key).isTrue();
        return m.group(1);
    }

    private static List<Path> manifests(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml")).sorted().toList();
        }
    }

    private static List<HasMetadata> objects(Path folder) throws IOException {
        return manifests(folder).stream().flatMap(f -> {
            try {
                return Manifests.parse(Files.readString(f)).stream();
            } catch (IOException | RuntimeException e) {
                throw new AssertionError(f + ": " + e.getMessage(), e);
            }
        }).toList();
    }

    private static <T> List<T> only(List<HasMetadata> objects, Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }
}
