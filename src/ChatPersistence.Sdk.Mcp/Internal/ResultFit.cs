namespace ChatPersistence.Sdk.Mcp.Internal;

/// <summary>How many items of a page fit a result's character budget.</summary>
internal static class ResultFit
{
    /// <summary>
    /// The number of items that fit in <paramref name="budget"/> characters together with the rest of the result
    /// (<paramref name="envelope"/>: the result's length with no items), counted from the start or, with
    /// <paramref name="fromEnd"/>, from the end. At least 1 when there are items: one item always fits by construction (see
    /// <see cref="ChatHistoryToolsOptions.ResultEnvelopeReserve"/>).
    /// </summary>
    public static int Count(IReadOnlyList<int> itemLengths, int envelope, int budget, bool fromEnd)
    {
        var total = envelope;
        for (var n = 0; n < itemLengths.Count; n++)
        {
            var length = itemLengths[fromEnd ? itemLengths.Count - 1 - n : n];
            total += length + (n == 0 ? 0 : 1); // items are separated by commas
            if (total > budget)
            {
                return Math.Max(1, n);
            }
        }

        return itemLengths.Count;
    }
}
