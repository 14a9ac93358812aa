package dev.usher.operator.dependent;

/** An object the app needs exists already and is not the app's: it is left as it is. */
public final class NameInUseException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public NameInUseException(String kind, String name, String holder) {
        super(kind + " " + name + " already exists, " + holder + "; delete or rename it, or rename the ProxiedApp");
    }
}
