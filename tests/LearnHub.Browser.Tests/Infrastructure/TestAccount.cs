namespace LearnHub.Browser.Tests.Infrastructure;

/// <summary>A user the browser signs in as.</summary>
public sealed record TestAccount(string Handle, string DisplayName, string Password, params string[] Roles);
