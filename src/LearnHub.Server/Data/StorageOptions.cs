namespace LearnHub.Server.Data;

/// <summary>Where the embedded default keeps its SQLite file and signing key.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>Folder for the database file and the token signing key; created on first start.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>SQLite file name inside <see cref="DataDirectory"/>.</summary>
    public string DatabaseFile { get; set; } = "learnhub.db";

    /// <summary>Seeds the 经济基础 demo course and sessions into an empty database.</summary>
    public bool SeedDemoData { get; set; } = true;

    public string DatabasePath => Path.GetFullPath(Path.Combine(DataDirectory, DatabaseFile));
}
