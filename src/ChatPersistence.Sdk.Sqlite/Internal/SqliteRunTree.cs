namespace ChatPersistence.Sdk.Sqlite.Internal;

/// <summary>
/// The runs of one branched session (rows of <c>chat_runs</c>), in memory: a run is a range of the session's sequence
/// numbers whose messages each continue the one before (design note §1); only its head stores a parent. Routes, pieces of a
/// path, siblings and "the leaf last active beneath m" are computed here from the runs alone (a few KB for 1,000 runs), so a
/// read on disk is only range scans on <c>(session_id, seq)</c>.
/// </summary>
/// <remarks>
/// Immutable once built: a write builds a new tree (<see cref="With"/>), which the store caches under the session's
/// <c>path_version</c> once its transaction committed. Every change to a session's runs bumps that version, and a reader
/// takes the version from the session row it reads in the same transaction, so a cached tree is never stale.
/// </remarks>
internal sealed class SqliteRunTree
{
    private readonly Run[] _runs;
    private readonly int[][] _childRuns;
    private readonly Dictionary<long, List<int>> _byParent;
    private readonly List<int> _roots;
    private List<Piece>? _active;

    /// <summary>Builds the tree of <paramref name="runs"/> (ordered by start).</summary>
    /// <param name="version">The session's <c>path_version</c> the runs were read at.</param>
    /// <param name="runs">The runs, ascending by <see cref="Run.Start"/>.</param>
    public SqliteRunTree(long version, Run[] runs)
    {
        Version = version;
        _runs = runs;
        var children = new List<int>?[runs.Length];
        _byParent = [];
        _roots = [];
        for (var i = 0; i < runs.Length; i++)
        {
            if (runs[i].ParentSeq is { } parent)
            {
                var owner = RunOf(parent);
                (children[owner] ??= []).Add(i);
                if (!_byParent.TryGetValue(parent, out var list))
                {
                    _byParent[parent] = list = [];
                }

                list.Add(i);
            }
            else
            {
                _roots.Add(i);
            }
        }

        _childRuns = new int[runs.Length][];
        for (var i = 0; i < runs.Length; i++)
        {
            _childRuns[i] = children[i]?.ToArray() ?? [];
        }
    }

    /// <summary>The session's <c>path_version</c> this tree belongs to.</summary>
    public long Version { get; }

    /// <summary>The runs, ascending by start.</summary>
    public IReadOnlyList<Run> Runs => _runs;

    /// <summary>How many roots the session has (runs with no parent).</summary>
    public int Roots => _roots.Count;

    /// <summary>The index of the run holding <paramref name="seq"/> (the last run starting at or before it), or -1.</summary>
    public int RunOf(long seq)
    {
        int lo = 0, hi = _runs.Length - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_runs[mid].Start <= seq)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found;
    }

    /// <summary>The last sequence of run <paramref name="run"/>, or <see langword="null"/> for the last run (it ends at the session's newest message).</summary>
    public long? End(int run) => run + 1 < _runs.Length ? _runs[run + 1].PreviousEnd : null;

    /// <summary>How many runs start under the message <paramref name="seq"/> (not counting its child in its own run).</summary>
    public int ChildRunCount(long seq) => _byParent.TryGetValue(seq, out var list) ? list.Count : 0;

    /// <summary>The indexes of the runs starting under <paramref name="seq"/> (<see langword="null"/>: the roots), ascending.</summary>
    public IReadOnlyList<int> ChildRuns(long? seq) =>
        seq is not { } parent ? _roots : _byParent.TryGetValue(parent, out var list) ? list : [];

    /// <summary>Whether the message <paramref name="seq"/> has a child in its own run (the message after it in sequence order).</summary>
    /// <param name="seq">The message.</param>
    /// <param name="newest">The session's newest message.</param>
    public bool HasRunChild(long seq, long newest)
    {
        var run = RunOf(seq);
        return End(run) is { } end ? seq < end : seq < newest;
    }

    /// <summary>The path from its root to <paramref name="leafSeq"/> as pieces of runs (ascending, disjoint).</summary>
    public List<Piece> Path(long leafSeq)
    {
        var pieces = new List<Piece>();
        long? seq = leafSeq;
        while (seq is { } at)
        {
            var run = RunOf(at);
            pieces.Add(new Piece(run, _runs[run].Start, at));
            seq = _runs[run].ParentSeq;
        }

        pieces.Reverse();
        return pieces;
    }

    /// <summary>
    /// <see cref="Path"/> of the active leaf, kept from the previous call: appends move the leaf along its run, which changes
    /// only the last piece's end, so a page of a branched session does not walk the route up to its root again.
    /// </summary>
    public List<Piece> ActivePath(long leafSeq)
    {
        var cached = Volatile.Read(ref _active);
        if (cached is not null)
        {
            if (cached[^1].To == leafSeq)
            {
                return cached;
            }

            if (leafSeq > cached[^1].To && RunOf(leafSeq) == cached[^1].Run)
            {
                var moved = new List<Piece>(cached);
                moved[^1] = moved[^1] with { To = leafSeq };
                Volatile.Write(ref _active, moved);
                return moved;
            }
        }

        var path = Path(leafSeq);
        Volatile.Write(ref _active, path);
        return path;
    }

    /// <summary>The index of the first piece ending at or after <paramref name="seq"/> (<c>pieces.Count</c> when none does).</summary>
    public static int FirstEndingFrom(List<Piece> pieces, long seq)
    {
        int lo = 0, hi = pieces.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (pieces[mid].To < seq)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>Whether <paramref name="seq"/> is on the path made of <paramref name="pieces"/>.</summary>
    public static bool Contains(List<Piece> pieces, long seq)
    {
        int lo = 0, hi = pieces.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (pieces[mid].To < seq)
            {
                lo = mid + 1;
            }
            else if (pieces[mid].From > seq)
            {
                hi = mid - 1;
            }
            else
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The last sequence two paths share, or <see langword="null"/> when they share none (two roots).</summary>
    public static long? Fork(List<Piece> a, List<Piece> b)
    {
        long? fork = null;
        for (var i = 0; i < a.Count && i < b.Count; i++)
        {
            if (a[i].Run != b[i].Run)
            {
                break;
            }

            fork = Math.Min(a[i].To, b[i].To);
            if (a[i].To != b[i].To)
            {
                break;
            }
        }

        return fork;
    }

    /// <summary>
    /// The run holding the leaf last active beneath the message <paramref name="seq"/>: among its own run and every run that
    /// starts beneath it, the one activated last (the active leaf is always the end of its run).
    /// </summary>
    public int LastActiveBeneath(long seq)
    {
        var own = RunOf(seq);
        var best = own;
        var pending = new Stack<int>();
        foreach (var child in _childRuns[own])
        {
            if (_runs[child].ParentSeq >= seq)
            {
                pending.Push(child);
            }
        }

        while (pending.Count > 0)
        {
            var run = pending.Pop();
            if (_runs[run].Activated > _runs[best].Activated)
            {
                best = run;
            }

            foreach (var child in _childRuns[run])
            {
                pending.Push(child);
            }
        }

        return best;
    }

    /// <summary>A new tree at <paramref name="version"/>: these runs with <paramref name="added"/> appended and run <paramref name="activated"/> (if any) re-stamped.</summary>
    public SqliteRunTree With(long version, IReadOnlyList<Run> added, int activated = -1)
    {
        var runs = new Run[_runs.Length + added.Count];
        _runs.CopyTo(runs, 0);
        for (var i = 0; i < added.Count; i++)
        {
            runs[_runs.Length + i] = added[i];
        }

        if (activated >= 0)
        {
            runs[activated] = runs[activated] with { Activated = version };
        }

        return new SqliteRunTree(version, runs);
    }

    /// <summary>One run: its head's sequence and id, the head's parent's sequence (null: a root), the end of the run before it, when it last held the active leaf.</summary>
    /// <param name="Start">The head's sequence.</param>
    /// <param name="HeadId">The head's id.</param>
    /// <param name="ParentSeq">The head's parent's sequence, or <see langword="null"/> for a root.</param>
    /// <param name="PreviousEnd">The last sequence of the run before this one (its end), or <see langword="null"/> for the first run.</param>
    /// <param name="Activated">The <c>path_version</c> at which it last held the active leaf.</param>
    internal readonly record struct Run(long Start, Guid HeadId, long? ParentSeq, long? PreviousEnd, long Activated);

    /// <summary>A part of a path inside one run: the sequences from <paramref name="From"/> to <paramref name="To"/>.</summary>
    /// <param name="Run">The run's index.</param>
    /// <param name="From">The first sequence (the run's head).</param>
    /// <param name="To">The last sequence on the path.</param>
    internal readonly record struct Piece(int Run, long From, long To);
}
