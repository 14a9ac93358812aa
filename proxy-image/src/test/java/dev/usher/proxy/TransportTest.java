package dev.usher.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.usher.proxy.config.TransportKind;
import dev.usher.proxy.testing.Http;
import dev.usher.proxy.testing.LogCapture;
import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.RawHttp;
import dev.usher.proxy.testing.TestBackend;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The proxy runs on each transport a host may offer, and picks the fastest one it is allowed on its own. */
class TransportTest {

    @Test
    void autoTakesIoUringWhereTheHostAllowsItElseEpollAndSaysWhy() {
        Transport auto = Transport.of(TransportKind.AUTO);

        if (IoUring.isAvailable()) {
            assertThat(auto.name()).isEqualTo("io_uring");
            assertThat(auto.fallbackReason()).isNull();
        } else {
            assertThat(auto.name()).isEqualTo(Epoll.isAvailable() ? "epoll" : "nio");
            assertThat(auto.fallbackReason()).startsWith("io_uring: ");
        }
    }

    @ParameterizedTest
    @EnumSource(value = TransportKind.class, names = {"IO_URING", "EPOLL", "NIO"})
    void aProxyOnEachTransportForwardsAndSaysWhichItUses(TransportKind kind) throws Exception {
        String name = kind.key();
        boolean available = switch (kind) {
            case IO_URING -> IoUring.isAvailable();
            case EPOLL -> Epoll.isAvailable();
            default -> true;
        };
        assumeTrue(available, name + " is not available on this host");
        try (TestBackend backend = new TestBackend("b1");
             LogCapture log = new LogCapture();
             ProxyFixture proxy = new ProxyFixture(List.of(backend.hostPort()), "transport: " + name)) {
            for (int i = 0; i < 3; i++) {
                try (RawHttp client = new RawHttp(proxy.port())) {
                    assertThat(client.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello")
                            .readResponse()).startsWith("HTTP/1.1 200").endsWith("\r\n\r\nreceived=5");
                }
            }
            assertThat(log.lines()).anySatisfy(l -> assertThat(l).contains("event loops (" + name + ")"));
            assertThat(Http.get(proxy.adminUri("/metrics")).body()).contains("usher_transport{transport=\"" + name + "\"} 1.0");
        }
    }
}
