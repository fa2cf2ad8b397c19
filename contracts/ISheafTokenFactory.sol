// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// Sheaf's token factory (the bank module) at the `tokenFactory` system address.
/// Anyone may create an ERC-20; the whole initial supply goes to the caller.
/// Gas: 21,000 + calldata + 120,000 for `createToken`.
interface ISheafTokenFactory {
    /// Emitted once per token; `index` counts tokens from 0 in creation order.
    event TokenCreated(address indexed token, address indexed creator, uint256 index, string symbol);

    /// The token's address is fixed before the call: the CREATE address of the factory with
    /// nonce `tokenCount() + 1`.
    function createToken(string calldata name, string calldata symbol, uint8 decimals, uint256 initialSupply)
        external
        returns (address token);

    function tokenCount() external view returns (uint256);
    function tokenAt(uint256 index) external view returns (address);

    error EmptyName();
    error SymbolLength(uint256 length);
}
