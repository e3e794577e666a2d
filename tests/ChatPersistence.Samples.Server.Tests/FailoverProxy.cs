using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// A minimal TCP load balancer in front of several server instances, as a browser sees one: each new connection goes to the
/// first instance that accepts it, so when that one dies the next connection (the client's reconnect) lands on another.
/// <see cref="Paused"/> refuses new connections, to hold a client offline for a while.
/// </summary>
public sealed class FailoverProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int[] _backends;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<TcpClient> _clients = [];

    private FailoverProxy(int[] backends) => _backends = backends;

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public bool Paused { get; set; }

    public static FailoverProxy Start(params int[] backendPorts)
    {
        var proxy = new FailoverProxy(backendPorts);
        proxy._listener.Start();
        _ = proxy.AcceptAsync();
        return proxy;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _clients.Add(client);
                _ = ForwardAsync(client);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        using (client)
        {
            if (Paused)
            {
                return;
            }

            foreach (var port in _backends)
            {
                var backend = new TcpClient();
                _clients.Add(backend);
                using (backend)
                {
                    try
                    {
                        await backend.ConnectAsync(IPAddress.Loopback, port, _stop.Token);
                    }
                    catch (SocketException)
                    {
                        continue; // that instance is down: the next one
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }

                    try
                    {
                        var a = client.GetStream();
                        var b = backend.GetStream();
                        await Task.WhenAny(a.CopyToAsync(b, _stop.Token), b.CopyToAsync(a, _stop.Token));
                    }
                    catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
                    {
                    }

                    return;
                }
            }
        }
    }
}
