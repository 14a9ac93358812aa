package dev.usher.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A request body read whole before the request takes an upstream (buffering.request), as nginx's
 * {@code uwsgi_request_buffering}: a slow upload then costs the proxy a connection, not one of the backend's few
 * workers. The first {@code memoryLimit} bytes stay in memory, the rest go to a temporary file. The body can be
 * written upstream more than once, so a request whose connect failed is retried with it.
 *
 * <p>The file is unlinked as soon as it is open: the open channel keeps it, and a crashed proxy leaves nothing
 * behind. Its reads and writes run on the event loop, as nginx's do on its worker: they hit the page cache, and a
 * body is bounded by limits.maxBodySize.
 */
final class RequestBuffer {
    /** A file read per write upstream: big enough to keep the socket busy, small enough to respect writability. */
    private static final int FILE_CHUNK = 64 << 10;

    private final ByteBufAllocator alloc;
    private final long memoryLimit;
    private final Path directory;
    private ByteBuf memory;
    private FileChannel file;
    private long fileSize;
    private long size;

    private boolean memoryWritten;
    private long filePosition;
    private boolean written;
    private boolean writing;

    RequestBuffer(ByteBufAllocator alloc, long memoryLimit, Path directory) {
        this.alloc = alloc;
        this.memoryLimit = memoryLimit;
        this.directory = directory;
    }

    /** Keeps the content's bytes and releases it. */
    void add(HttpContent content) throws IOException {
        try {
            ByteBuf bytes = content.content();
            int n = bytes.readableBytes();
            if (n == 0) {
                return;
            }
            size += n;
            long inMemory = memory == null ? 0 : memory.readableBytes();
            if (file == null && inMemory + n <= memoryLimit) {
                if (memory == null) {
                    memory = alloc.buffer(n, (int) Math.min(Integer.MAX_VALUE, memoryLimit));
                }
                memory.writeBytes(bytes);
                return;
            }
            if (file == null) {
                file = openUnlinked();
            }
            while (bytes.isReadable()) {
                fileSize += bytes.readBytes(file, fileSize, bytes.readableBytes());
            }
        } finally {
            content.release();
        }
    }

    /** The body's length, in bytes. */
    long size() {
        return size;
    }

    /** Whether part of the body went to a file. */
    boolean spilled() {
        return file != null;
    }

    /** Makes the next {@link #writeTo} start again from the body's first byte. */
    void rewind() {
        memoryWritten = false;
        filePosition = 0;
        written = false;
    }

    /** Whether the whole body, its end included, has been written since the last {@link #rewind}. */
    boolean written() {
        return written;
    }

    /**
     * Writes as much of the body as the channel takes and flushes it; call again when it turns writable. A flush
     * that drains the channel fires that event from within this method (through the exchange): the inner call
     * returns at once and this one goes on.
     */
    void writeTo(Channel upstream) throws IOException {
        if (writing) {
            return;
        }
        writing = true;
        try {
            if (!memoryWritten) {
                memoryWritten = true;
                if (memory != null) {
                    upstream.write(new DefaultHttpContent(memory.retainedDuplicate()), upstream.voidPromise());
                }
            }
            while (filePosition < fileSize) {
                if (!upstream.isWritable()) {
                    upstream.flush();
                    if (!upstream.isWritable()) {
                        return;
                    }
                }
                upstream.write(new DefaultHttpContent(readChunk()), upstream.voidPromise());
            }
            written = true;
            upstream.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT, upstream.voidPromise());
        } finally {
            writing = false;
        }
    }

    private ByteBuf readChunk() throws IOException {
        int n = (int) Math.min(FILE_CHUNK, fileSize - filePosition);
        ByteBuf chunk = alloc.buffer(n);
        try {
            while (chunk.writerIndex() < n) {
                if (chunk.writeBytes(file, filePosition + chunk.writerIndex(), n - chunk.writerIndex()) < 0) {
                    throw new IOException("the buffered body's file ended early");
                }
            }
        } catch (IOException | RuntimeException e) {
            chunk.release();
            throw e;
        }
        filePosition += n;
        return chunk;
    }

    /** Frees the memory and the file; safe to call more than once. */
    void release() {
        if (memory != null) {
            memory.release();
            memory = null;
        }
        if (file != null) {
            try {
                file.close();
            } catch (IOException ignored) {
                // Unlinked already: closing can only fail to free what the kernel frees with the process.
            }
            file = null;
        }
    }

    private FileChannel openUnlinked() throws IOException {
        Path path = Files.createTempFile(directory, "usher-body-", ".tmp");
        try {
            return FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } finally {
            Files.delete(path);
        }
    }
}
