package dev.usher.operator.resource;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The schema's defaults (which the API server fills in) and the records' (for objects that were never
 * defaulted, such as on the mock API server) must agree: the operator must read a spec the same either way.
 */
class SchemaDefaultsTest {

    private static final CrdSchema SCHEMA = new CrdSchema();

    @ParameterizedTest
    @ValueSource(strings = {
            "{image: a}",
            "{image: a, replicas: 3, proxy: {}}",
            "{image: a, proxy: {port: 8080, timeouts: {connect: 1s}}}",
            "{image: a, proxy: {retries: {}, timeouts: {}}}"})
    void schemaAndCodeFillInTheSameDefaults(String spec) throws Exception {
        String yaml = "apiVersion: usher.dev/v1alpha1\nkind: ProxiedApp\nmetadata: {name: a}\nspec: " + spec;
        var defaultedByServer = SCHEMA.defaulted(CrdSchema.YAML.readTree(yaml));
        ProxiedApp byServer = Serialization.unmarshal(CrdSchema.YAML.writeValueAsString(defaultedByServer),
                ProxiedApp.class);
        ProxiedApp byCode = Serialization.unmarshal(yaml, ProxiedApp.class);
        assertThat(byServer.getSpec()).isEqualTo(byCode.getSpec());
        assertThat(defaultedByServer.at("/spec/proxy/timeouts/response").asText()).isEqualTo("60s");
    }
}
