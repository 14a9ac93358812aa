package dev.usher.proxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** A bare socket client, for requests that a well-behaved HTTP client refuses to send. */
public final class RawHttp implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    public RawHttp(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        in = new java.io.BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** The client side's port, as the server sees it in REMOTE_PORT. */
    public int localPort() {
        return socket.getLocalPort();
    }

    public RawHttp send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    public RawHttp send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** The status code of the next response, after reading its head and its Content-Length body. */
    public int status() throws IOException {
        String head = readHead();
        return Integer.parseInt(head.substring(9, 12));
    }

    /** Reads one response head (through the blank line) and its Content-Length body; returns head plus body. */
    public String readResponse() throws IOException {
        String head = readHead();
        int length = 0;
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        byte[] body = in.readNBytes(length);
        return head + new String(body, StandardCharsets.UTF_8);
    }

    /** Reads one whole response, its body framed by Content-Length or chunked; returns its status. */
    public int readStatusAndBody() throws IOException {
        String head = readHead();
        String lower = head.toLowerCase();
        if (lower.contains("\r\ntransfer-encoding: chunked")) {
            readChunkedBody();
        } else {
            for (String line : lower.split("\r\n")) {
                if (line.startsWith("content-length:")) {
                    in.readNBytes(Integer.parseInt(line.substring(15).trim()));
                }
            }
        }
        return Integer.parseInt(head.substring(9, 12));
    }

    /** The next response head only, for HEAD requests and streamed bodies. */
    public String readHeadOnly() throws IOException {
        return readHead(true);
    }

    /** The next response head, interim ones (100 Continue) included when {@code skipInterim} is false. */
    public String readHeadOnly(boolean skipInterim) throws IOException {
        return readHead(skipInterim);
    }

    /** A chunked body, decoded. */
    public String readChunkedBody() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            int size = Integer.parseInt(readLine().trim(), 16);
            if (size == 0) {
                readLine();
                return body.toString(StandardCharsets.UTF_8);
            }
            body.write(in.readNBytes(size));
            readLine();
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    private String readHead() throws IOException {
        return readHead(true);
    }

    private String readHead(boolean skipInterim) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            b.write(c);
            byte[] s = b.toByteArray();
            int n = s.length;
            if (n >= 4 && s[n - 4] == '\r' && s[n - 3] == '\n' && s[n - 2] == '\r' && s[n - 1] == '\n') {
                String head = b.toString(StandardCharsets.ISO_8859_1);
                if (skipInterim && head.startsWith("HTTP/1.1 100 ")) {
                    b.reset();
                    continue;
                }
                return head;
            }
        }
        throw new IOException("connection closed before a response head; got: " + b.toString(StandardCharsets.ISO_8859_1));
    }

    /** True when the server closes the connection (EOF) within {@code millis}; false when it stays open that long. */
    public boolean closedByServerWithin(int millis) throws IOException {
        int before = socket.getSoTimeout();
        socket.setSoTimeout(millis);
        try {
            return closedByServer();
        } finally {
            if (!socket.isClosed()) {
                socket.setSoTimeout(before);
            }
        }
    }

    /** Everything the server sends until it closes the connection. */
    public byte[] readAll() throws IOException {
        return in.readAllBytes();
    }

    /** The next byte from the server, or -1 at the end of the stream. */
    public int read() throws IOException {
        return in.read();
    }

    /** True when the server closes the connection (EOF) within the socket timeout. */
    public boolean closedByServer() throws IOException {
        try {
            while (true) {
                if (in.read() == -1) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
