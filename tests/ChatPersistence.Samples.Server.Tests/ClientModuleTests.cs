using System.Diagnostics;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// Runs the web client's module tests (wwwroot-tests/*.test.mjs: the Markdown renderer; chat state: pending → saved, reconnect with the same ids, cache on
/// switch, clear only when asked, retry, streaming) with Node's built-in test runner. Node missing is a loud failure.
/// </summary>
public sealed class ClientModuleTests
{
    [Fact]
    public async Task The_chat_state_module_passes_its_node_tests()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "ChatPersistence.Sdk.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("The repository root was not found above the test output.");
        }

        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        info.ArgumentList.Add("--test");
        info.ArgumentList.Add(Path.Combine("samples", "ChatPersistence.Samples.Server", "wwwroot-tests"));
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("Node.js is needed for the web client's tests: apt-get install -y nodejs (bash .ci/run does).", ex);
        }

        using (process)
        {
            var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            process.ExitCode.Should().Be(0, output);
            output.Should().Contain("# pass 55").And.Contain("# fail 0");
        }
    }
}
