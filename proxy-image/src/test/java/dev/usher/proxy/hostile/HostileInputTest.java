package dev.usher.proxy.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.RawHttp;
import dev.usher.proxy.testing.RecordingBackend;
import dev.usher.proxy.testing.RecordingBackend.Protocol;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every case of {@link HostileCorpus}, on raw sockets, through the proxy to a lenient recording backend, for both
 * backend protocols: the client gets the status the case names, a refusal closes the connection, and the backend
 * sees exactly the requests the client meant, no more, with the values the case checks.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileInputTest {
    private RecordingBackend httpBackend;
    private RecordingBackend uwsgiBackend;
    private ProxyFixture httpProxy;
    private ProxyFixture uwsgiProxy;

    @BeforeAll
    void start() throws Exception {
        httpBackend = new RecordingBackend(Protocol.HTTP);
        uwsgiBackend = new RecordingBackend(Protocol.UWSGI);
        httpProxy = new ProxyFixture(List.of(httpBackend.hostPort()), "retries: {attempts: 1}");
        uwsgiProxy = new ProxyFixture(List.of(uwsgiBackend.hostPort()), "upstream: {protocol: uwsgi}\nretries: {attempts: 1}");
    }

    @AfterAll
    void stop() throws Exception {
        httpProxy.close();
        uwsgiProxy.close();
        httpBackend.close();
        uwsgiBackend.close();
    }

    Stream<Arguments> cases() {
        return Arrays.stream(Protocol.values())
                .flatMap(p -> HostileCorpus.CASES.stream().map(c -> Arguments.of(p, c)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void answersAndForwardsExactlyWhatTheCaseSays(Protocol protocol, HostileCorpus.Case c) throws Exception {
        RecordingBackend backend = protocol == Protocol.HTTP ? httpBackend : uwsgiBackend;
        ProxyFixture proxy = protocol == Protocol.HTTP ? httpProxy : uwsgiProxy;
        backend.clear();
        try (RawHttp client = new RawHttp(proxy.port())) {
            client.send(c.request().getBytes(StandardCharsets.ISO_8859_1));
            String head = client.readHeadOnly(false);
            assertThat(head).as("first answer").startsWith("HTTP/1.1 " + c.status() + " ");
            if (c.status() == 100) {
                assertThat(client.readResponse()).startsWith("HTTP/1.1 200 ");
            }
            if (c.status() >= 400) {
                assertThat(head).containsIgnoringCase("connection: close");
                assertThat(client.closedByServer()).as("a refused request closes the connection").isTrue();
            }
        }
        assertThat(backend.seen()).as("requests the backend read").hasSize(c.forwarded());
        if (c.check() != null) {
            c.check().accept(protocol, backend.seen());
        }
    }
}
