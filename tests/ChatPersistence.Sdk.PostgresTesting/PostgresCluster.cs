using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ChatPersistence.Sdk.Postgres;
using Npgsql;

namespace ChatPersistence.Sdk.PostgresTesting;

/// <summary>
/// A PostgreSQL server for tests: a throwaway cluster started from the machine's PostgreSQL binaries (initdb into a temporary
/// folder, as the <c>postgres</c> OS user when running as root, on a free loopback port), or
/// the server named by the <c>CHATPERSISTENCE_TEST_POSTGRES</c> environment variable (a connection string of a superuser).
/// Without either, <see cref="GetAsync"/> fails with a message that says what to install — tests never skip.
/// </summary>
/// <remarks>
/// Databases are prepared like a hosted Supabase project's: the throwaway cluster's superuser is <c>supabase_admin</c>;
/// the database belongs to <c>postgres</c>, which is not a superuser and runs the migrations (<see cref="OwnerRole"/>);
/// Supabase's roles, <c>auth</c> schema, default privileges and per-role timeouts are in place (supabase_auth_shim.sql).
/// <para>
/// A throwaway cluster never outlives its process: <see cref="DisposeAsync"/> (a private cluster's fixture) or the process's
/// exit stops it and deletes its folder, and a watchdog started with it does the same when the process ends any other way
/// (a cancelled run, a killed test host). Starting a cluster first removes those left by earlier runs whose process is gone.
/// </para>
/// </remarks>
public sealed class PostgresCluster : IAsyncDisposable
{
    /// <summary>The environment variable naming an existing server to use instead of a throwaway cluster.</summary>
    public const string EnvironmentVariable = "CHATPERSISTENCE_TEST_POSTGRES";

    private const string TemplateDatabase = "chat_template";
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static PostgresCluster? _shared;
    private readonly string _adminConnectionString;

    private readonly bool _durable;
    private int _stopped;

    private PostgresCluster(string adminConnectionString, string? binDirectory, string? dataDirectory, int port, bool durable = false)
    {
        _durable = durable;
        _adminConnectionString = adminConnectionString;
        BinDirectory = binDirectory;
        DataDirectory = dataDirectory;
        Port = port;
    }

    /// <summary>The folder of the server binaries (null for an external server).</summary>
    public string? BinDirectory { get; }

    /// <summary>The cluster's data folder (null for an external server).</summary>
    public string? DataDirectory { get; }

    /// <summary>The TCP port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>Whether this is a throwaway cluster this process started (so it may be restarted by fault tests).</summary>
    public bool IsThrowaway => DataDirectory is not null;

    /// <summary>Returns the process-wide server, starting it on first use.</summary>
    /// <returns>The cluster.</returns>
    /// <exception cref="InvalidOperationException">No PostgreSQL binaries and no <see cref="EnvironmentVariable"/>.</exception>
    public static async Task<PostgresCluster> GetAsync()
    {
        await Gate.WaitAsync();
        try
        {
            return _shared ??= await StartAsync();
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>
    /// Starts a throwaway cluster of this caller's own — never the shared one and never the server of
    /// <see cref="EnvironmentVariable"/> — for tests that stop or restart the server while other test projects run. It runs
    /// with PostgreSQL's durable defaults (fsync, synchronous_commit, full_page_writes on), so an acknowledged commit
    /// survives an immediate-mode stop, as on a production server; the shared cluster turns them off for speed.
    /// </summary>
    /// <returns>The cluster; dispose of it when done (it is also stopped and removed when the process ends).</returns>
    /// <exception cref="InvalidOperationException">No PostgreSQL binaries on this machine.</exception>
    public static Task<PostgresCluster> StartPrivateAsync() => StartThrowawayAsync(durable: true);

    /// <summary>The role that owns the chat databases and runs the migrations, as on Supabase: <c>postgres</c>, not a superuser.</summary>
    public const string OwnerRole = "postgres";

    /// <summary>The throwaway cluster's bootstrap superuser (Supabase: <c>supabase_admin</c>).</summary>
    public const string SuperuserRole = "supabase_admin";

    /// <summary>A connection string to <paramref name="database"/> as <see cref="OwnerRole"/> (the non-superuser owner).</summary>
    /// <param name="database">The database.</param>
    /// <returns>The connection string.</returns>
    public string OwnerConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder(ConnectionString(database)) { Username = OwnerRole, Password = OwnerRole }.ConnectionString;

    /// <summary>A superuser connection string to <paramref name="database"/>.</summary>
    /// <param name="database">The database.</param>
    /// <returns>The connection string.</returns>
    public string ConnectionString(string database = "postgres") =>
        new NpgsqlConnectionStringBuilder(_adminConnectionString) { Database = database, Pooling = true, MaxPoolSize = 100 }.ConnectionString;

    /// <summary>
    /// Creates a fresh database holding the Supabase auth shim and the chat migrations (cloned from a template built once)
    /// and returns its name.
    /// </summary>
    /// <returns>The database name.</returns>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "chat_" + Guid.NewGuid().ToString("N");
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"create database {name} template {TemplateDatabase} owner {OwnerRole}", connection);
        await command.ExecuteNonQueryAsync();
        return name;
    }

    /// <summary>Restarts the throwaway cluster (fault tests): <c>pg_ctl restart</c>, or an immediate-mode stop then start.</summary>
    /// <param name="immediate">Whether to stop in immediate mode (like a crash) rather than fast mode.</param>
    /// <returns>A task.</returns>
    public async Task RestartAsync(bool immediate = false)
    {
        if (!IsThrowaway)
        {
            throw new InvalidOperationException("Only a throwaway cluster started by the tests can be restarted.");
        }

        await PgCtlAsync("stop", "-m", immediate ? "immediate" : "fast");
        await PgCtlAsync("start", "-o", ServerOptions(Port, DataDirectory!), "-l", Path.Combine(DataDirectory!, "..", "server.log"));
        NpgsqlConnection.ClearAllPools();
    }

    private static async Task<PostgresCluster> StartAsync()
    {
        var external = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            var cluster = new PostgresCluster(external, null, null, new NpgsqlConnectionStringBuilder(external).Port);
            await cluster.PrepareTemplateAsync();
            return cluster;
        }

        return await StartThrowawayAsync();
    }

    private static async Task<PostgresCluster> StartThrowawayAsync(bool durable = false)
    {
        var bin = FindBinDirectory() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found, so the PostgreSQL tests cannot run. " +
            "Install them (Debian/Ubuntu: `sudo apt-get install postgresql-15`; `bash .ci/run` does this), " +
            $"or set {EnvironmentVariable} to the connection string of a superuser on a PostgreSQL 15+ server.");
        var pgCtl = Path.Combine(bin, "pg_ctl");
        ClusterJanitor.RemoveStaleOnce(pgCtl);
        var root = Path.Combine(Path.GetTempPath(), ClusterJanitor.FolderPrefix + Guid.NewGuid().ToString("N")[..12]);
        var data = Path.Combine(root, "data");
        Directory.CreateDirectory(root);
        ClusterJanitor.Claim(root);
        ClusterJanitor.Watch(root, pgCtl);
        var port = FreePort();
        var started = new PostgresCluster($"Host=127.0.0.1;Port={port};Username={SuperuserRole};Database=postgres;Timeout=15;Command Timeout=120", bin, data, port, durable);
        AppDomain.CurrentDomain.ProcessExit += started.OnProcessExit;
        try
        {
            if (ClusterJanitor.AsRoot)
            {
                await RunAsync("chown", ["-R", "postgres", root]);
            }

            await started.RunPgAsync(Path.Combine(bin, "initdb"), ["-D", data, "-U", SuperuserRole, "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"]);
            await started.PgCtlAsync("start", "-o", started.ServerOptions(port, data), "-l", Path.Combine(root, "server.log"));
            await started.PrepareTemplateAsync();
        }
        catch
        {
            started.Stop();
            throw;
        }

        return started;
    }

    /// <summary>
    /// Stops a throwaway cluster and deletes its folder (a private cluster's fixture calls it when its tests are done). Does
    /// nothing for the process-wide cluster of <see cref="GetAsync"/>, which other tests share (it is stopped when the
    /// process ends), or for an external server. Safe to call more than once.
    /// </summary>
    /// <returns>A task.</returns>
    public ValueTask DisposeAsync()
    {
        if (IsThrowaway && !ReferenceEquals(Volatile.Read(ref _shared), this))
        {
            Stop();
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Whether the server loads pg_cron (so the retention scheduling snippet can be checked for real).</summary>
    public bool HasPgCron { get; private set; }

    private string ServerOptions(int port, string data)
    {
        var options = $"-p {port} -k {Path.GetDirectoryName(data)} -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=128MB" +
            (_durable ? "" : " -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        HasPgCron = File.Exists(Path.Combine(BinDirectory!, "..", "lib", "pg_cron.so"));
        return HasPgCron ? options + " -c shared_preload_libraries=pg_cron -c cron.database_name=postgres -c cron.host=127.0.0.1" : options;
    }

    private static string? FindBinDirectory()
    {
        var candidates = new List<string>();
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => d, StringComparer.Ordinal).Select(d => Path.Combine(d, "bin")));
        }

        candidates.Add("/usr/local/pgsql/bin");
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task PrepareTemplateAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync();
        await using (var drop = new NpgsqlCommand($"drop database if exists {TemplateDatabase}", connection))
        {
            await drop.ExecuteNonQueryAsync();
        }

        await using (var create = new NpgsqlCommand($"create database {TemplateDatabase}", connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        await PrepareLikeSupabaseAsync(TemplateDatabase);

        // The migrations run as the non-superuser owner, like `supabase db push`.
        await using (var asOwner = NpgsqlDataSource.Create(OwnerConnectionString(TemplateDatabase)))
        {
            await ChatPersistenceMigrations.ApplyAsync(asOwner);
        }

        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>
    /// Creates an empty database prepared like a hosted Supabase project's (roles, <c>auth</c>, default privileges, timeouts;
    /// owned by <see cref="OwnerRole"/>) with no chat migration applied, and returns its name.
    /// </summary>
    /// <returns>The database name.</returns>
    public async Task<string> CreateSupabaseLikeDatabaseAsync()
    {
        var name = "bare_" + Guid.NewGuid().ToString("N");
        await using (var connection = new NpgsqlConnection(ConnectionString()))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"create database {name}", connection);
            await command.ExecuteNonQueryAsync();
        }

        await PrepareLikeSupabaseAsync(name);
        return name;
    }

    private async Task PrepareLikeSupabaseAsync(string database)
    {
        // The shim makes postgres the database's owner; pgTAP is there for `supabase test db`.
        await using var admin = NpgsqlDataSource.Create(ConnectionString(database));
        await using var shim = admin.CreateCommand(ReadShim() +
            "\n;\ndo $$ begin if exists (select 1 from pg_available_extensions where name = 'pgtap') then create extension if not exists pgtap with schema extensions; end if; end $$");
        await shim.ExecuteNonQueryAsync();
    }

    private static string ReadShim()
    {
        using var stream = typeof(PostgresCluster).Assembly.GetManifestResourceStream("supabase_auth_shim.sql")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private Task PgCtlAsync(params string[] args) =>
        RunPgAsync(Path.Combine(BinDirectory!, "pg_ctl"), ["-D", DataDirectory!, "-w", "-t", "60", .. args]);

    private Task RunPgAsync(string program, string[] args) =>
        ClusterJanitor.AsRoot ? RunAsync("runuser", ["-u", "postgres", "--", program, .. args]) : RunAsync(program, args);

    private static async Task RunAsync(string program, string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({process.ExitCode}): {await output}{await error}");
        }
    }

    private void OnProcessExit(object? sender, EventArgs e) => Stop();

    private void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        NpgsqlConnection.ClearAllPools();
        ClusterJanitor.StopAndDelete(Path.GetDirectoryName(DataDirectory!)!, Path.Combine(BinDirectory!, "pg_ctl"));
    }
}
