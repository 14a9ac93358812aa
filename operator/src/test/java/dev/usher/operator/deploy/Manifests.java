package dev.usher.operator.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.usher.operator.resource.ProxiedApp;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Kubernetes objects from YAML, typed by fabric8's model (and ours, for ProxiedApp) and checked as
 * strictly as an API server's field validation: a misspelt or misplaced field fails instead of being
 * kept aside.
 */
final class Manifests {

    private static final ObjectMapper YAML = new YAMLMapper();

    /**
     * fabric8's model classes keep unknown fields in an "any setter" map; without it, Jackson rejects
     * them with the field's name and path.
     */
    private static final ObjectMapper STRICT = new ObjectMapper(new YAMLFactory())
            .setAnnotationIntrospector(new JacksonAnnotationIntrospector() {
                @Override
                public Boolean hasAnySetter(Annotated annotated) {
                    return Boolean.FALSE;
                }
            })
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private Manifests() {
    }

    /** Every object of a multi-document YAML stream, as its fabric8 model class. */
    static List<HasMetadata> parse(String yaml) {
        List<HasMetadata> objects = new ArrayList<>();
        try (var parser = YAML.createParser(yaml)) {
            for (JsonNode document : YAML.readValues(parser, JsonNode.class).readAll()) {
                if (!document.isNull() && !document.isEmpty()) {
                    objects.add(typed(document));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return objects;
    }

    private static HasMetadata typed(JsonNode document) throws IOException {
        String text = YAML.writeValueAsString(document);
        String apiVersion = document.path("apiVersion").asText();
        String kind = document.path("kind").asText();
        if (apiVersion.equals(HasMetadata.getApiVersion(ProxiedApp.class))
                && kind.equals(HasMetadata.getKind(ProxiedApp.class))) {
            return STRICT.readValue(text, ProxiedApp.class);
        }
        HasMetadata loose = Serialization.unmarshal(text);
        if (loose instanceof GenericKubernetesResource) {
            throw new IllegalArgumentException(apiVersion + " " + kind + " is not a kind that fabric8's model knows");
        }
        return STRICT.readValue(text, loose.getClass());
    }
}
