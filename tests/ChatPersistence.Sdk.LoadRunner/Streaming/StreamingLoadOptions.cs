using ChatPersistence.Sdk.PostgresTesting;

namespace ChatPersistence.Sdk.LoadRunner.Streaming;

/// <summary>The size and faults of a streaming run (<see cref="StreamingLoad.RunAsync"/>).</summary>
public sealed record StreamingLoadOptions
{
    /// <summary>How many replies stream at the same time (one session each, after a question).</summary>
    public int Replies { get; init; } = 100;

    /// <summary>How many worker processes write them (the replies are dealt out evenly).</summary>
    public int Workers { get; init; } = 5;

    /// <summary>Chunks per reply.</summary>
    public int Chunks { get; init; } = 300;

    /// <summary>Chunks per second per reply.</summary>
    public double ChunksPerSecond { get; init; } = 20;

    /// <summary>The writers' flush interval (the PostgreSQL store's default is 200 ms).</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The replies' lease: a killed writer's replies read as interrupted this long after its last flush. It must outlast the
    /// PostgreSQL restart (the writer gives up after two thirds of it without progress), or the survivors' replies end
    /// Interrupted/LeaseExpired too — by design. Default 15 s: a 5 s lease was shorter than a restart under load (5.7 s measured).
    /// </summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How many worker processes to kill (SIGKILL) while they write; at least one worker always survives.</summary>
    public int Kills { get; init; } = 1;

    /// <summary>Whether to restart PostgreSQL while the replies stream (needs a throwaway cluster).</summary>
    public bool RestartPostgres { get; init; } = true;

    /// <summary>Whether the restart stops PostgreSQL in immediate mode (as a crash: recovery on start) rather than fast mode.</summary>
    public bool ImmediateRestart { get; init; } = true;

    /// <summary>When the kills happen, as a fraction of a reply's streaming time after every reply has begun.</summary>
    public double KillAt { get; init; } = 0.3;

    /// <summary>When the restart happens, as a fraction of a reply's streaming time after every reply has begun.</summary>
    public double RestartAt { get; init; } = 0.5;

    /// <summary>
    /// The cluster to run on (a database is created in it); <see langword="null"/> starts a private durable throwaway
    /// cluster and removes it at the end.
    /// </summary>
    public PostgresCluster? Cluster { get; init; }
}
