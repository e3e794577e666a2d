namespace ChatPersistence.Sdk.LoadRunner;

/// <summary>Disposes what the run created, last first.</summary>
internal sealed class Disposables : IAsyncDisposable
{
    private readonly Stack<IAsyncDisposable> _items = new();

    public T Add<T>(T item)
        where T : IAsyncDisposable
    {
        _items.Push(item);
        return item;
    }

    public async ValueTask DisposeAsync()
    {
        while (_items.TryPop(out var item))
        {
            await item.DisposeAsync();
        }
    }
}
