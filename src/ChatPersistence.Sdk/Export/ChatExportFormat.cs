namespace ChatPersistence.Sdk.Export;

/// <summary>The formats <see cref="ChatExporter"/> writes.</summary>
public enum ChatExportFormat
{
    /// <summary>Plain UTF-8 text: a header, then one block per message.</summary>
    Text = 0,

    /// <summary>Markdown: a title, a header table, then each message's text in a fenced block (never interpreted as markup).</summary>
    Markdown = 1,

    /// <summary>The versioned JSON format <c>chatpersistence.export</c> v1, which <see cref="ChatImporter"/> reads back (metadata always included).</summary>
    Json = 2,
}
