/// The product's version, in this one place: `--version` of both programs, the metrics'
/// `license_build_info`, and the Debian package's version are read from here.
public enum ProductVersion {
    public static let current = "0.4.0"
}
