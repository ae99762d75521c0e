namespace LearnHub.Server.Data;

/// <summary>The database engine holding the product's tables and Quartz's.</summary>
public enum StorageProvider
{
    /// <summary>One file in <see cref="StorageOptions.DataDirectory"/>; one server process.</summary>
    Sqlite,

    /// <summary>A PostgreSQL database named by <see cref="StorageOptions.ConnectionString"/>; any number of nodes.</summary>
    Postgres,
}

/// <summary>Which store the server uses, and where the embedded default keeps its SQLite file and signing key.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    public StorageProvider Provider { get; set; } = StorageProvider.Sqlite;

    /// <summary>Npgsql connection string (Postgres only), e.g. <c>Host=db;Database=learnhub;Username=learnhub;Password=…</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Folder for the database file (SQLite) and the token signing key; created on first start.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>SQLite file name inside <see cref="DataDirectory"/>.</summary>
    public string DatabaseFile { get; set; } = "learnhub.db";

    /// <summary>Seeds the 经济基础 demo course and sessions into an empty database.</summary>
    public bool SeedDemoData { get; set; } = true;

    public string DatabasePath => Path.GetFullPath(Path.Combine(DataDirectory, DatabaseFile));

    /// <summary>The Postgres connection string, or why there is none.</summary>
    public string RequirePostgresConnectionString() =>
        string.IsNullOrWhiteSpace(ConnectionString)
            ? throw new InvalidOperationException($"{Section}:Provider is Postgres but {Section}:ConnectionString is not set.")
            : ConnectionString;
}
