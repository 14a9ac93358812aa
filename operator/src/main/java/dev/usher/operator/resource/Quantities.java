package dev.usher.operator.resource;

/** The value formats that the proxy's config parser accepts, so that the schema rejects what the proxy would. */
public final class Quantities {

    /** One number and a unit, as the proxy parses it: 500ms, 2s, 1.5m, 1h. */
    public static final String DURATION_PATTERN = "^[0-9]+(\\.[0-9]+)?(ms|s|m|h)$";
    /** A whole number of bytes with an optional decimal or binary suffix: 512, 16Ki, 10Mi, 1G. */
    public static final String SIZE_PATTERN = "^[0-9]+(k|Ki|M|Mi|G|Gi)?$";

    private Quantities() {
    }
}
