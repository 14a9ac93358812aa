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
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend on raw sockets that answers each request with the next response the test scripted, byte for byte, so
 * that a test can send what no HTTP library would: odd framing, bad bytes, a head in pieces. Keeps each connection
 * open after an answer unless the script says to close.
 */
public final class ScriptedBackend implements AutoCloseable {
    /** One answer: its bytes, sent in pieces of {@code pieceSize} (0: at once), and whether the connection then closes. */
    public record Answer(byte[] bytes, int pieceSize, boolean close) {
        public static Answer of(String text) {
            return new Answer(text.getBytes(StandardCharsets.ISO_8859_1), 0, false);
        }

        public static Answer thenClose(String text) {
            return new Answer(text.getBytes(StandardCharsets.ISO_8859_1), 0, true);
        }

        public Answer inPiecesOf(int size) {
            return new Answer(bytes, size, close);
        }
    }

    private final ServerSocket server;
    private final BlockingQueue<Answer> script = new LinkedBlockingQueue<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<String> requestHeads = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final Thread acceptor;

    public ScriptedBackend() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::accept, "scripted-backend");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public String hostPort() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** Queues the answers to the next requests, in order. */
    public void answer(Answer... answers) {
        script.addAll(List.of(answers));
    }

    public int connectionsAccepted() {
        return connections.get();
    }

    /** The heads of the requests read so far, as they arrived. */
    public List<String> requestHeads() {
        return requestHeads;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                sockets.add(s);
                connections.incrementAndGet();
                Thread t = new Thread(() -> serve(s), "scripted-backend-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                requestHeads.add(head);
                skipBody(in, head);
                Answer a = script.poll(10, TimeUnit.SECONDS);
                if (a == null) {
                    return;
                }
                if (a.pieceSize() == 0) {
                    out.write(a.bytes());
                    out.flush();
                } else {
                    for (int i = 0; i < a.bytes().length; i += a.pieceSize()) {
                        out.write(a.bytes(), i, Math.min(a.pieceSize(), a.bytes().length - i));
                        out.flush();
                    }
                }
                if (a.close()) {
                    return;
                }
            }
        } catch (IOException | InterruptedException e) {
            // the proxy closed the connection, or the test ended
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        int matched = 0;
        while ((c = in.read()) != -1) {
            b.write(c);
            matched = (c == '\r' && (matched == 0 || matched == 2)) || (c == '\n' && (matched == 1 || matched == 3))
                    ? matched + 1 : (c == '\r' ? 1 : 0);
            if (matched == 4) {
                return b.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    private static void skipBody(InputStream in, String head) throws IOException {
        for (String line : head.toLowerCase().split("\r\n")) {
            if (line.startsWith("content-length:")) {
                in.readNBytes(Integer.parseInt(line.substring(15).trim()));
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
