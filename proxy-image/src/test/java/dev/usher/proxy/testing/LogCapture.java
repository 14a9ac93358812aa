package dev.usher.proxy.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * What the proxy logs while a test runs, at INFO and above, kept out of the console: for asserting the log line
 * an operator gets (the reason a client never sees) and that a client's mistake is no warning.
 */
public final class LogCapture implements AutoCloseable {
    private final Logger logger;
    private final Level level;
    private final boolean additive;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    public LogCapture() {
        this("dev.usher.proxy");
    }

    /** What {@code loggerName} logs, e.g. {@code usher.access}. */
    public LogCapture(String loggerName) {
        logger = (Logger) LoggerFactory.getLogger(loggerName);
        level = logger.getLevel();
        additive = logger.isAdditive();
        appender.start();
        logger.addAppender(appender);
        logger.setLevel(Level.INFO);
        logger.setAdditive(false);
    }

    /** Every event so far as "LEVEL message", with the exception's class when one was logged. */
    public List<String> lines() {
        return List.copyOf(appender.list).stream()
                .map(e -> e.getLevel() + " " + e.getFormattedMessage()
                        + (e.getThrowableProxy() == null ? "" : " [stack trace: " + e.getThrowableProxy().getClassName() + "]"))
                .toList();
    }

    /** The events at WARN or above. */
    public List<String> warnings() {
        return lines().stream().filter(l -> l.startsWith("WARN") || l.startsWith("ERROR")).toList();
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        logger.setLevel(level);
        logger.setAdditive(additive);
    }
}
