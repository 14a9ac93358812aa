package dev.usher.operator.resource;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What the generated schema accepts and rejects, checked as the API server checks it. */
class CrdSchemaTest {

    private static final CrdSchema SCHEMA = new CrdSchema();

    private static String app(String name, String spec) {
        return """
                apiVersion: usher.dev/v1alpha1
                kind: ProxiedApp
                metadata: {name: %s, namespace: default}
                %s""".formatted(name, spec);
    }

    @Test
    void acceptsTheSmallestApp() {
        assertThat(SCHEMA.violations(app("shop", "spec: {image: shop:1}"))).isEmpty();
    }

    @Test
    void acceptsEveryField() {
        assertThat(SCHEMA.violations(app("shop", """
                spec:
                  image: ghcr.io/acme/shop:1.4
                  replicas: 0
                  port: 3031
                  protocol: uwsgi
                  env: [{name: MODE, value: prod}, {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
                  resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 256Mi}}
                  command: [uwsgi]
                  args: [--ini, /app/uwsgi.ini]
                  readinessProbe: {httpGet: {path: /health, port: 8080}, periodSeconds: 2}
                  imagePullPolicy: IfNotPresent
                  imagePullSecrets: [{name: registry}]
                  proxy:
                    replicas: 3
                    port: 8080
                    serviceType: LoadBalancer
                    loadBalancing: round-robin
                    timeouts: {connect: 500ms, response: 1.5m, idle: 1h30m}
                    retries: {attempts: 1}
                    maxBodySize: 1Gi
                    image: registry.local/usher-proxy:dev
                    resources: {limits: {cpu: "1"}}
                """))).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            no image                      | {replicas: 1}                                  | required property 'image'
            empty image                   | {image: ''}                                    | must be at least 1 characters long
            negative replicas             | {image: a, replicas: -1}                       | must have a minimum value of 0
            port 0                        | {image: a, port: 0}                            | must have a minimum value of 1
            port 65536                    | {image: a, port: 65536}                        | must have a maximum value of 65535
            unknown protocol              | {image: a, protocol: grpc}                     | does not have a value in the enumeration
            unknown pull policy           | {image: a, imagePullPolicy: Sometimes}         | does not have a value in the enumeration
            proxy without replicas        | {image: a, proxy: {replicas: 0}}               | must have a minimum value of 1
            proxy service ExternalName    | {image: a, proxy: {serviceType: ExternalName}} | does not have a value in the enumeration
            unknown balancing             | {image: a, proxy: {loadBalancing: random}}     | does not have a value in the enumeration
            duration in words             | {image: a, proxy: {timeouts: {connect: 2 seconds}}} | does not match the regex pattern
            duration without unit         | {image: a, proxy: {timeouts: {idle: '300'}}}  | does not match the regex pattern
            negative duration             | {image: a, proxy: {timeouts: {response: -1s}}} | does not match the regex pattern
            size in MB                    | {image: a, proxy: {maxBodySize: 10MB}}        | does not match the regex pattern
            size in milli-bytes           | {image: a, proxy: {maxBodySize: 100m}}        | does not match the regex pattern
            no attempt                    | {image: a, proxy: {retries: {attempts: 0}}}   | must have a minimum value of 1
            too many attempts             | {image: a, proxy: {retries: {attempts: 11}}}  | must have a maximum value of 10
            replicas as text              | {image: a, replicas: two}                      | string found, integer expected
            """)
    void rejectsInvalidSpecs(String what, String spec, String expected) {
        assertThat(SCHEMA.violations(app("shop", "spec: " + spec))).anySatisfy(v -> assertThat(v).contains(expected));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            56 characters       | a23456789012345678901234567890123456789012345678901234567 | must be at most 55 characters
            leading digit       | 1shop                                                      | must start with a letter
            dotted              | shop.v2                                                    | must start with a letter
            """)
    void rejectsNamesTheOwnedObjectsCannotTake(String what, String name, String expected) {
        assertThat(SCHEMA.violations(app(name, "spec: {image: a}"))).anySatisfy(v -> assertThat(v).contains(expected));
    }

    @Test
    void acceptsTheLongestName() {
        assertThat(SCHEMA.violations(app("a".repeat(ProxiedApp.MAX_NAME_LENGTH), "spec: {image: a}"))).isEmpty();
    }

    @Test
    void rejectsAnAppWithoutSpec() {
        assertThat(SCHEMA.violations(app("shop", ""))).containsExactly("spec is required");
    }
}
