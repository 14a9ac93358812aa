package dev.usher.proxy.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.RecordingBackend;
import dev.usher.proxy.testing.RecordingBackend.Protocol;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A seeded mutation fuzzer over {@link HostileCorpus}: requests with bytes flipped, dropped, repeated and spliced,
 * and framing tokens inserted, each followed on its connection by a sentinel request that names the connection.
 * Meanwhile victims send clean requests on keep-alive connections. Bounded: {@value #REQUESTS} connections per
 * protocol or {@value #SECONDS} s, whichever comes first. The invariants, whatever the input:
 * <ul>
 *   <li>every connection ends within a bounded time, and everything on it is a well-formed HTTP/1.1 answer;</li>
 *   <li>no answer reaches the wrong client: a sentinel's or a victim's answer only ever goes to its own connection;</li>
 *   <li>nothing stays in flight or open afterwards, and the heap does not grow (buffer leaks fail every proxy test).</li>
 * </ul>
 */
class MutationFuzzTest {
    private static final int REQUESTS = 10_000;
    private static final int SECONDS = 30;
    private static final long SEED = 20_261_130L;
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.1 [1-5]\\d\\d [^\r\n]*");
    private static final Pattern NAMED = Pattern.compile("/(?:sentinel|victim)-(\\d+)-(\\d+)");
    private static final String[] TOKENS = {"\r\n", "\n", "\r", " ", "\t", "\u0000", ":", ",", ";", "0\r\n\r\n",
        "Transfer-Encoding: chunked\r\n", "Content-Length: 5\r\n", "Connection: content-length\r\n", "Host: x\r\n",
        "\u00ff", "%00", "http://x", "chunked", "Expect: 100-continue\r\n", "Upgrade: websocket\r\nConnection: upgrade\r\n"};

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void noInputBreaksTheInvariants(Protocol protocol) throws Exception {
        long heapBefore = usedHeapAfterGc();
        ExecutorService threads = Executors.newFixedThreadPool(9);
        try (RecordingBackend backend = new RecordingBackend(protocol);
             ProxyFixture proxy = new ProxyFixture(List.of(backend.hostPort()), """
                     timeouts: {requestHead: 1s, idle: 2s, response: 2s}
                     limits: {maxBodySize: 64Ki}
                     retries: {attempts: 1}
                     """ + (protocol == Protocol.UWSGI ? "upstream: {protocol: uwsgi}\n" : ""))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
            AtomicInteger next = new AtomicInteger();
            Queue<String> violations = new ConcurrentLinkedQueue<>();
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < 8; w++) {
                int worker = w;
                workers.add(threads.submit(() -> {
                    Random random = new Random(SEED + worker);
                    int i;
                    while ((i = next.getAndIncrement()) < REQUESTS && System.nanoTime() < deadline) {
                        fuzzOne(proxy.port(), worker, i, random, violations);
                    }
                }));
            }
            Future<Integer> victim = threads.submit(() -> victims(proxy.port(), deadline, workers, violations));
            for (Future<?> f : workers) {
                f.get(SECONDS + 30, TimeUnit.SECONDS);
            }
            int victimRequests = victim.get(30, TimeUnit.SECONDS);
            assertThat(violations).as("invariant violations").isEmpty();
            assertThat(next.get()).as("fuzzed connections").isGreaterThan(1000);
            assertThat(victimRequests).as("victim requests").isGreaterThan(100);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(proxy.server().metrics())
                    .contains("usher_requests_in_flight 0.0").contains("usher_client_connections 0.0"));
        } finally {
            threads.shutdownNow();
        }
        assertThat(usedHeapAfterGc() - heapBefore).as("heap growth in bytes").isLessThan(64L << 20);
    }

    private static void fuzzOne(int port, int worker, int i, Random random, Queue<String> violations) {
        byte[] request = mutate(random);
        String sentinel = "/sentinel-" + worker + "-" + i;
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(15_000);
            s.getOutputStream().write(request);
            s.getOutputStream().write(("GET " + sentinel + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String received = readToEnd(s.getInputStream());
            checkAnswers(received, worker, i, violations, "fuzz " + worker + "-" + i);
        } catch (IOException e) {
            if (e instanceof java.net.SocketTimeoutException) {
                violations.add("fuzz " + worker + "-" + i + ": connection neither answered nor closed in 15 s: "
                        + new String(request, StandardCharsets.ISO_8859_1));
            }
            // a reset while writing or reading is a legitimate end for garbage
        }
    }

    /** Clean keep-alive requests, each named, while the fuzzers run: each answer must be the victim's own. */
    private static int victims(int port, long deadline, List<Future<?>> workers, Queue<String> violations) throws IOException {
        int count = 0;
        Socket s = null;
        InputStream in = null;
        while (System.nanoTime() < deadline && workers.stream().anyMatch(f -> !f.isDone())) {
            if (s == null) {
                s = new Socket("127.0.0.1", port);
                s.setSoTimeout(15_000);
                in = new java.io.BufferedInputStream(s.getInputStream());
            }
            String path = "/victim-9-" + count++;
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String head = readHead(in);
            if (!head.startsWith("HTTP/1.1 200 ")) {
                violations.add("victim got " + head);
                break;
            }
            Matcher length = Pattern.compile("(?i)content-length: (\\d+)").matcher(head);
            String body = length.find() ? new String(in.readNBytes(Integer.parseInt(length.group(1))), StandardCharsets.ISO_8859_1) : "";
            if (!body.endsWith(" " + path + "\n")) {
                violations.add("victim asked for " + path + " and got " + body);
                break;
            }
            if (head.toLowerCase().contains("connection: close")) {
                s.close();
                s = null;
            }
        }
        if (s != null) {
            s.close();
        }
        return count;
    }

    private static void checkAnswers(String received, int worker, int i, Queue<String> violations, String who) {
        int at = 0;
        while (at < received.length()) {
            int lineEnd = received.indexOf("\r\n", at);
            String statusLine = lineEnd < 0 ? received.substring(at) : received.substring(at, lineEnd);
            if (!STATUS_LINE.matcher(statusLine).matches()) {
                violations.add(who + ": not an HTTP/1.1 answer: " + statusLine);
                return;
            }
            int headEnd = received.indexOf("\r\n\r\n", at);
            if (headEnd < 0) {
                return; // cut short by the close: allowed when the proxy aborts a response
            }
            String head = received.substring(at, headEnd);
            Matcher length = Pattern.compile("(?i)\r\ncontent-length: (\\d+)").matcher(head);
            int bodyEnd = headEnd + 4 + (length.find() ? Integer.parseInt(length.group(1)) : 0);
            String body = received.substring(Math.min(headEnd + 4, received.length()), Math.min(bodyEnd, received.length()));
            Matcher named = NAMED.matcher(body);
            while (named.find()) {
                if (!named.group(0).startsWith("/sentinel") || Integer.parseInt(named.group(1)) != worker
                        || Integer.parseInt(named.group(2)) != i) {
                    violations.add(who + ": got the answer to another client's " + named.group(0));
                }
            }
            at = bodyEnd;
        }
    }

    private static byte[] mutate(Random random) {
        List<HostileCorpus.Case> cases = HostileCorpus.CASES;
        StringBuilder s = new StringBuilder(cases.get(random.nextInt(cases.size())).request());
        int mutations = 1 + random.nextInt(3);
        for (int m = 0; m < mutations && s.length() > 0; m++) {
            int at = random.nextInt(s.length());
            switch (random.nextInt(6)) {
                case 0 -> s.setCharAt(at, (char) random.nextInt(256));
                case 1 -> s.insert(at, TOKENS[random.nextInt(TOKENS.length)]);
                case 2 -> s.delete(at, Math.min(s.length(), at + 1 + random.nextInt(8)));
                case 3 -> {
                    int lineStart = s.lastIndexOf("\n", at) + 1;
                    int lineEnd = s.indexOf("\n", at);
                    if (lineEnd > 0) {
                        s.insert(lineEnd + 1, s.substring(lineStart, lineEnd + 1));
                    }
                }
                case 4 -> s.setLength(at);
                default -> s.append(cases.get(random.nextInt(cases.size())).request());
            }
        }
        if (s.length() > 20_000) {
            s.setLength(20_000);
        }
        return s.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String readToEnd(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int n;
        while ((n = in.read(buf)) != -1) {
            out.write(buf, 0, n);
        }
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            b.write(c);
            String s = b.toString(StandardCharsets.ISO_8859_1);
            if (s.endsWith("\r\n\r\n")) {
                return s;
            }
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    private static long usedHeapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
