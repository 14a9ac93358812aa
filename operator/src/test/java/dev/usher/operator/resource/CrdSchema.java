package dev.usher.operator.resource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import dev.usher.operator.testing.Cluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The generated CRD's openAPIV3Schema, applied as an API server applies it: defaults first, then the
 * structural checks (with networknt's JSON Schema validator; the x-kubernetes-* keys are not JSON
 * Schema and are left out) and the CEL rules (with cel-java, the engine's Java implementation).
 */
public final class CrdSchema {

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private final JsonNode schema;
    private final JsonSchema validator;

    public CrdSchema() {
        try {
            JsonNode crd = YAML.readTree(Cluster.GENERATED_CRD.toFile());
            schema = crd.at("/spec/versions/0/schema/openAPIV3Schema");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        validator = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(withoutKubernetesKeys(schema));
    }

    /** The object as stored: with the schema's defaults filled in. */
    JsonNode defaulted(JsonNode object) {
        JsonNode copy = object.deepCopy();
        applyDefaults(schema, copy);
        return copy;
    }

    /** What the API server would answer, one line per violation; empty when it would accept the object. */
    public List<String> violations(String yaml) {
        try {
            JsonNode object = defaulted(YAML.readTree(yaml));
            List<String> problems = new ArrayList<>();
            for (ValidationMessage m : validator.validate(object)) {
                problems.add(m.getMessage());
            }
            problems.addAll(celViolations(schema, object));
            return problems;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void applyDefaults(JsonNode schema, JsonNode value) {
        if (!(value instanceof ObjectNode object) || !schema.has("properties")) {
            return;
        }
        for (var property : schema.get("properties").properties()) {
            if (!object.has(property.getKey()) && property.getValue().has("default")) {
                object.set(property.getKey(), property.getValue().get("default").deepCopy());
            }
            if (object.has(property.getKey())) {
                applyDefaults(property.getValue(), object.get(property.getKey()));
            }
        }
    }

    private static List<String> celViolations(JsonNode schema, JsonNode value) {
        List<String> problems = new ArrayList<>();
        for (JsonNode rule : schema.path("x-kubernetes-validations")) {
            if (!Boolean.TRUE.equals(evaluate(rule.get("rule").asText(), value))) {
                problems.add(rule.get("message").asText());
            }
        }
        if (value.isObject() && schema.has("properties")) {
            schema.get("properties").properties().forEach(p -> {
                if (value.has(p.getKey())) {
                    problems.addAll(celViolations(p.getValue(), value.get(p.getKey())));
                }
            });
        }
        return problems;
    }

    private static Object evaluate(String rule, JsonNode self) {
        try {
            CelCompiler compiler = CelCompilerFactory.standardCelCompilerBuilder()
                    .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
                    .addVar("self", SimpleType.DYN)
                    .build();
            CelRuntime runtime = CelRuntimeFactory.standardCelRuntimeBuilder().build();
            var ast = compiler.compile(rule).getAst();
            return runtime.createProgram(ast).eval(Map.of("self", YAML.convertValue(self, Map.class)));
        } catch (Exception e) {
            throw new IllegalStateException("CEL rule '" + rule + "' does not evaluate", e);
        }
    }

    private static JsonNode withoutKubernetesKeys(JsonNode node) {
        JsonNode copy = node.deepCopy();
        strip(copy);
        return copy;
    }

    private static void strip(JsonNode node) {
        if (node instanceof ObjectNode object) {
            object.remove(List.of("x-kubernetes-validations", "x-kubernetes-int-or-string",
                    "x-kubernetes-preserve-unknown-fields", "x-kubernetes-list-type", "x-kubernetes-map-type"));
        }
        node.forEach(CrdSchema::strip);
    }
}
