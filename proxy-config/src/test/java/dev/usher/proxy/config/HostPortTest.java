package dev.usher.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HostPortTest {

    @Test
    void parsesIpv4AndNames() {
        assertThat(HostPort.parse("127.0.0.1:8080")).isEqualTo(new HostPort("127.0.0.1", 8080));
        assertThat(HostPort.parse("backend.default.svc:80")).isEqualTo(new HostPort("backend.default.svc", 80));
    }

    @Test
    void parsesBracketedIpv6WithoutTheBrackets() {
        assertThat(HostPort.parse("[::1]:8080")).isEqualTo(new HostPort("::1", 8080));
        assertThat(HostPort.parse("[fe80::1:2]:443")).isEqualTo(new HostPort("fe80::1:2", 443));
    }

    @Test
    void anEmptyHostMeansAllInterfaces() {
        assertThat(HostPort.parse(":8080")).isEqualTo(new HostPort("0.0.0.0", 8080));
    }

    @Test
    void surroundingWhitespaceIsIgnored() {
        assertThat(HostPort.parse("  127.0.0.1:80 ")).isEqualTo(new HostPort("127.0.0.1", 80));
    }

    // toString is what logs and the admin page show, and what a user pastes back into config.
    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1:8080", "[::1]:8080", "[fe80::1:2]:443"})
    void toStringParsesBackToTheSameValue(String text) {
        HostPort hp = HostPort.parse(text);

        assertThat(hp.toString()).isEqualTo(text);
        assertThat(HostPort.parse(hp.toString())).isEqualTo(hp);
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost", "127.0.0.1", "127.0.0.1:", "127.0.0.1:http", "::1:8080", "[::1]",
            "127.0.0.1:65536", "127.0.0.1:-1", ""})
    void rejectsTextThatIsNotAUsableHostAndPort(String text) {
        assertThatThrownBy(() -> HostPort.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void portBoundsAreInclusive() {
        assertThat(HostPort.parse("127.0.0.1:0").port()).isZero();
        assertThat(HostPort.parse("127.0.0.1:65535").port()).isEqualTo(65535);
    }

    @Test
    void literalAddressesResolveToThemselves() {
        assertThat(new HostPort("127.0.0.1", 9000).toAddress()).isEqualTo(new InetSocketAddress("127.0.0.1", 9000));
        assertThat(new HostPort("::1", 9000).toAddress().getAddress().getHostAddress()).isEqualTo("0:0:0:0:0:0:0:1");
    }
}
