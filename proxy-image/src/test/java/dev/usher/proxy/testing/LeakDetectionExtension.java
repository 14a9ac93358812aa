package dev.usher.proxy.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Registered for every test class (JUnit extension auto-detection): after each class, collects garbage and
 * allocates a few buffers, which makes Netty report buffers that were dropped without release; any report
 * fails the class that leaked, or at worst the next one.
 */
public final class LeakDetectionExtension implements BeforeAllCallback, AfterAllCallback {

    @Override
    public void beforeAll(ExtensionContext context) {
        assertThat(ResourceLeakDetector.getLevel())
                .as("tests run with -Dio.netty.leakDetection.level=paranoid (see the surefire argLine)")
                .isEqualTo(ResourceLeakDetector.Level.PARANOID);
        LeakReportAppender.REPORTS.clear();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        for (int round = 0; round < 5; round++) {
            System.gc();
            for (int i = 0; i < 64; i++) {
                ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(16);
                b.release();
            }
        }
        assertThat(LeakReportAppender.REPORTS).as("Netty buffer leak reports").isEmpty();
    }
}
