using Xunit;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// The tests with two server processes (and two browsers) run one class at a time and alone, after the parallel ones: the
/// latency they measure between instances is then the servers', not the contention of other tests on a small machine.
/// </summary>
[CollectionDefinition("two server instances", DisableParallelization = true)]
public sealed class TwoServerInstances;
