using System.ComponentModel;

namespace ChatPersistence.Sdk.Mcp.Internal;

/// <summary>The result of <c>list_workflows</c>.</summary>
internal sealed class WorkflowListResult
{
    [Description("The workflows, most recently active first.")]
    public required IReadOnlyList<WorkflowItem> Workflows { get; init; }

    [Description("Present when more workflows exist: pass it as cursor to read them.")]
    public string? NextCursor { get; init; }
}
