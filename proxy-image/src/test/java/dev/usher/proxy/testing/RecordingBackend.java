package dev.usher.proxy.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A deliberately lenient backend on raw sockets that records every request it reads, so that a hostile-input
 * test can assert what got through: anything the proxy lets pass, this backend accepts. It frames an HTTP request
 * the naive way (the first Content-Length, else chunked if any Transfer-Encoding mentions it, else no body) and
 * reads the next request from whatever follows, exactly as a lax app server would: a smuggled request shows up
 * here as one more request. Each answer names the request it answers ({@code seen #N METHOD TARGET}), so a
 * response that reaches the wrong client is visible.
 *
 * <p>Speaks HTTP/1.1 (keep-alive) or uwsgi (one request per connection; the vars are recorded). Paths with a
 * behaviour: {@code /early-hints} answers 103 then 200; {@code /switch-bad-accept} answers a WebSocket upgrade
 * with a wrong {@code Sec-WebSocket-Accept}; {@code /switch-unasked} answers 101 to anything.
 */
public final class RecordingBackend implements AutoCloseable {
    /** One request as the backend read it. For uwsgi, {@code headers} holds the vars. */
    public record Seen(int index, String method, String target, String version, List<Map.Entry<String, String>> headers,
                       byte[] body) {
        public List<String> header(String name) {
            return headers.stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).toList();
        }

        public String first(String name) {
            List<String> values = header(name);
            return values.isEmpty() ? null : values.get(0);
        }
    }

    public enum Protocol { HTTP, UWSGI }

    private final Protocol protocol;
    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "recording-backend");
        t.setDaemon(true);
        return t;
    });
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<Seen> seen = new CopyOnWriteArrayList<>();

    public RecordingBackend(Protocol protocol) throws IOException {
        this.protocol = protocol;
        server = new ServerSocket(0, 200, InetAddress.getByName("127.0.0.1"));
        threads.execute(this::acceptLoop);
    }

    public String hostPort() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    public List<Seen> seen() {
        return List.copyOf(seen);
    }

    public void clear() {
        seen.clear();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                s.setTcpNoDelay(true);
                sockets.add(s);
                threads.execute(() -> serve(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s; InputStream in = new BufferedInputStream(s.getInputStream()); OutputStream out = s.getOutputStream()) {
            if (protocol == Protocol.UWSGI) {
                serveUwsgi(in, out);
                return;
            }
            while (serveHttp(in, out)) {
                // next request on this connection
            }
        } catch (IOException e) {
            // the peer went away: nothing to record
        } finally {
            sockets.remove(s);
        }
    }

    private boolean serveHttp(InputStream in, OutputStream out) throws IOException {
        String line = readLine(in);
        while (line != null && line.isEmpty()) {
            line = readLine(in);
        }
        if (line == null) {
            return false;
        }
        String[] parts = line.split(" ", 3);
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        for (String h = readLine(in); h != null && !h.isEmpty(); h = readLine(in)) {
            int colon = h.indexOf(':');
            headers.add(Map.entry(colon < 0 ? h : h.substring(0, colon), colon < 0 ? "" : h.substring(colon + 1).trim()));
        }
        Seen request = new Seen(seen.size() + 1, parts[0], parts.length > 1 ? parts[1] : "",
                parts.length > 2 ? parts[2] : "", headers, new byte[0]);
        byte[] body = readBody(in, request);
        if (body == null) {
            return false; // the request never ended: a backend does not act on half a request
        }
        request = new Seen(request.index(), request.method(), request.target(), request.version(), headers, body);
        seen.add(request);
        String target = request.target();
        if (target.startsWith("/early-hints")) {
            out.write("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        } else if (target.startsWith("/switch-bad-accept")) {
            out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: bm90IHRoZSByaWdodCBhY2NlcHQ=\r\n\r\nraw bytes after the switch").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return true;
        } else if (target.startsWith("/switch-unasked")) {
            out.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: mystery\r\nConnection: Upgrade\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return true;
        }
        respond(out, request, false);
        return request.header("Connection").stream().noneMatch(v -> v.equalsIgnoreCase("close"));
    }

    /** The body, or null when the stream ends before it does. */
    private static byte[] readBody(InputStream in, Seen request) throws IOException {
        String length = request.first("Content-Length");
        if (length != null) {
            int n = Integer.parseInt(length.trim());
            byte[] body = in.readNBytes(n);
            return body.length == n ? body : null;
        }
        if (request.header("Transfer-Encoding").stream().anyMatch(v -> v.toLowerCase(Locale.ROOT).contains("chunked"))) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            while (true) {
                String size = readLine(in);
                if (size == null) {
                    return null;
                }
                int semicolon = size.indexOf(';');
                int n = Integer.parseInt((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
                if (n == 0) {
                    String t = readLine(in);
                    while (t != null && !t.isEmpty()) {
                        t = readLine(in); // trailers are read and dropped
                    }
                    return t == null ? null : body.toByteArray();
                }
                byte[] chunk = in.readNBytes(n);
                if (chunk.length < n || readLine(in) == null) {
                    return null;
                }
                body.write(chunk);
            }
        }
        return new byte[0];
    }

    private void serveUwsgi(InputStream in, OutputStream out) throws IOException {
        byte[] header = in.readNBytes(4);
        if (header.length < 4) {
            return;
        }
        int size = (header[1] & 0xff) | (header[2] & 0xff) << 8;
        byte[] block = in.readNBytes(size);
        Map<String, String> vars = new LinkedHashMap<>();
        for (int i = 0; i + 2 <= block.length; ) {
            int kl = (block[i] & 0xff) | (block[i + 1] & 0xff) << 8;
            String key = new String(block, i + 2, kl, StandardCharsets.ISO_8859_1);
            i += 2 + kl;
            int vl = (block[i] & 0xff) | (block[i + 1] & 0xff) << 8;
            vars.put(key, new String(block, i + 2, vl, StandardCharsets.ISO_8859_1));
            i += 2 + vl;
        }
        String length = vars.getOrDefault("CONTENT_LENGTH", "");
        byte[] body = length.isEmpty() ? new byte[0] : in.readNBytes(Integer.parseInt(length));
        if (!length.isEmpty() && body.length < Integer.parseInt(length)) {
            return;
        }
        Seen request = new Seen(seen.size() + 1, vars.get("REQUEST_METHOD"), vars.get("REQUEST_URI"),
                vars.get("SERVER_PROTOCOL"), List.copyOf(vars.entrySet()), body);
        seen.add(request);
        if (request.target() != null && request.target().startsWith("/early-hints")) {
            out.write("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        respond(out, request, true);
    }

    private static void respond(OutputStream out, Seen request, boolean close) throws IOException {
        String body = "seen #" + request.index() + " " + request.method() + " " + request.target() + "\n";
        // One write: a head and a body in two small writes wait on Nagle and delayed ACKs, 40 ms a response.
        out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n" + (close ? "Connection: close\r\n" : "")
                + "\r\n" + body).getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** A line without its CR LF (a bare LF ends one too), or null at the end of the stream. */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            b.write(c);
        }
        if (c == -1 && b.size() == 0) {
            return null;
        }
        byte[] bytes = b.toByteArray();
        int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, n, StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
        threads.shutdownNow();
    }
}
