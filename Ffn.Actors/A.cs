namespace Ffn.Actors; internal static class A {}
