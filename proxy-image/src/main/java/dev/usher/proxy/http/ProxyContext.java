package dev.usher.proxy.http;

import dev.usher.proxy.balancing.Capacity;
import dev.usher.proxy.balancing.UpstreamPicker;
import dev.usher.proxy.balancing.WaitQueue;
import dev.usher.proxy.config.ProxyConfig;
import dev.usher.proxy.connections.ConnectionPools;
import dev.usher.proxy.health.OutlierDetector;
import dev.usher.proxy.metrics.ProxyMetrics;
import dev.usher.proxy.protocols.BackendProtocol;
import dev.usher.proxy.retry.RetryPolicy;

/** The shared services every client connection uses; built once by the server. */
public record ProxyContext(
        ProxyConfig config,
        UpstreamPicker picker,
        Capacity capacity,
        WaitQueue queue,
        RetryPolicy retries,
        OutlierDetector outliers,
        BackendProtocol protocol,
        ConnectionPools connections,
        ProxyMetrics metrics,
        AccessLog accessLog) {}
