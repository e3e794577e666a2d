namespace ChatPersistence.Sdk.Supabase.Internal;

/// <summary>The row of <c>chat_switch_branch</c>: the active leaf after the call, the fork and whether the path changed.</summary>
internal sealed class ActivePathRow
{
    public Guid LeafId { get; set; }

    public long LeafSeq { get; set; }

    public long? ForkSeq { get; set; }

    public bool Changed { get; set; }
}
