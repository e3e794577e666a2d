namespace ChatPersistence.Sdk.Internal;

/// <summary>
/// The tree of one session's messages for the in-memory store: nodes are the indexes of the session's messages in
/// sequence order, so a child's index is always greater than its parent's, and the active path (root to leaf) is an
/// ascending list of indexes.
/// </summary>
/// <remarks>
/// Every node remembers when it was last made the active leaf (a logical clock): switching to a message goes down to the
/// most recently active node beneath it, which is always a leaf, because a node stops being a leaf only when a child is
/// appended, and an appended child becomes the active leaf with a later stamp.
/// </remarks>
internal sealed class MessageTree
{
    private readonly List<int> _parent = [];
    private readonly List<int> _firstChild = [];
    private readonly List<long> _stamp = [];
    private readonly Dictionary<int, List<int>> _children = [];
    private readonly List<int> _roots = [];
    private readonly List<int> _path = [];
    private long _clock;

    /// <summary>Whether any message was ever appended elsewhere than under the active leaf, or the path was ever switched.</summary>
    public bool Branched { get; private set; }

    /// <summary>The active leaf's index, or -1 for an empty session.</summary>
    public int Leaf => _path.Count == 0 ? -1 : _path[^1];

    /// <summary>The active path, root first.</summary>
    public IReadOnlyList<int> ActivePath => _path;

    /// <summary>The parent of a node, or -1 for a root.</summary>
    public int Parent(int node) => _parent[node];

    /// <summary>How many children a node has (the roots for -1).</summary>
    public int ChildCount(int node) =>
        node < 0 ? _roots.Count : _children.TryGetValue(node, out var many) ? many.Count : _firstChild[node] >= 0 ? 1 : 0;

    /// <summary>The children of a node, oldest first (the roots for -1).</summary>
    public IReadOnlyList<int> Children(int node) =>
        node < 0 ? _roots : _children.TryGetValue(node, out var many) ? many : _firstChild[node] >= 0 ? [_firstChild[node]] : [];

    /// <summary>Whether the node is on the active path.</summary>
    public bool IsOnActivePath(int node) => _path.BinarySearch(node) >= 0;

    /// <summary>The path from a root down to <paramref name="leaf"/>, root first.</summary>
    public List<int> PathTo(int leaf)
    {
        var path = new List<int>();
        for (var node = leaf; node >= 0; node = _parent[node])
        {
            path.Add(node);
        }

        path.Reverse();
        return path;
    }

    /// <summary>Adds the next node under <paramref name="parent"/> (-1: a root) and makes it the active leaf.</summary>
    /// <returns>-2 when the active path was only extended; otherwise the last node the old and new paths share (-1: none).</returns>
    public int Add(int parent)
    {
        var node = _parent.Count;
        _parent.Add(parent);
        _firstChild.Add(-1);
        _stamp.Add(++_clock);
        if (parent < 0)
        {
            _roots.Add(node);
        }
        else if (_firstChild[parent] < 0)
        {
            _firstChild[parent] = node;
        }
        else
        {
            if (!_children.TryGetValue(parent, out var many))
            {
                many = [_firstChild[parent]];
                _children.Add(parent, many);
            }

            many.Add(node);
        }

        if (parent == Leaf)
        {
            _path.Add(node);
            return -2;
        }

        Branched = true;
        return MoveLeaf(node);
    }

    /// <summary>Makes the active path go through <paramref name="node"/>, down to the leaf last active beneath it.</summary>
    /// <returns>-2 when <paramref name="node"/> was already on the active path (nothing changed); otherwise the last node
    /// the old and new paths share (-1: none).</returns>
    public int SwitchTo(int node)
    {
        if (IsOnActivePath(node))
        {
            return -2;
        }

        // The most recently active node beneath (or at) the target.
        var best = node;
        var pending = new Stack<int>();
        pending.Push(node);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            if (_stamp[current] > _stamp[best])
            {
                best = current;
            }

            foreach (var child in Children(current))
            {
                pending.Push(child);
            }
        }

        _stamp[best] = ++_clock;
        Branched = true;
        return MoveLeaf(best);
    }

    // Replaces the part of the active path below the fork with the ancestors of the new leaf; returns the fork (-1: none).
    private int MoveLeaf(int leaf)
    {
        var below = new List<int>();
        var node = leaf;
        var at = -1;
        while (node >= 0 && (at = _path.BinarySearch(node)) < 0)
        {
            below.Add(node);
            node = _parent[node];
        }

        var keep = node >= 0 ? at + 1 : 0;
        _path.RemoveRange(keep, _path.Count - keep);
        below.Reverse();
        _path.AddRange(below);
        return node;
    }
}
