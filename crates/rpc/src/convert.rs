//! Stored blocks, transactions and receipts in the exact JSON shapes alloy, viem and MetaMask parse.

use alloy_consensus::{
    Eip658Value, Receipt, ReceiptEnvelope, ReceiptWithBloom, transaction::Recovered,
};
use alloy_primitives::U256;
use alloy_rlp::Encodable;
use alloy_rpc_types_eth::{Block, BlockTransactions, Header, Log, Transaction, TransactionReceipt};
use sheaf_app::StoredBlock;

pub fn block(stored: &StoredBlock, full: bool) -> Block {
    let transactions = if full {
        BlockTransactions::Full(
            (0..stored.txs.len())
                .map(|i| transaction(stored, i))
                .collect(),
        )
    } else {
        BlockTransactions::Hashes(stored.txs.iter().map(|tx| tx.hash).collect())
    };
    let size = stored.header.length()
        + stored
            .txs
            .iter()
            .map(|tx| tx.envelope.length())
            .sum::<usize>();
    Block {
        header: Header {
            hash: stored.hash,
            inner: stored.header.clone(),
            total_difficulty: Some(U256::ZERO),
            size: Some(U256::from(size)),
        },
        uncles: vec![],
        transactions,
        withdrawals: Some(alloy_eips::eip4895::Withdrawals::new(
            stored.withdrawals.clone(),
        )),
    }
}

pub fn header(stored: &StoredBlock) -> Header {
    block(stored, false).header
}

pub fn transaction(stored: &StoredBlock, index: usize) -> Transaction {
    let tx = &stored.txs[index];
    Transaction {
        inner: Recovered::new_unchecked(tx.envelope.clone(), tx.sender),
        block_hash: Some(stored.hash),
        block_number: Some(stored.number()),
        transaction_index: Some(index as u64),
        effective_gas_price: Some(stored.receipts[index].effective_gas_price),
        block_timestamp: Some(stored.header.timestamp),
    }
}

/// The logs of one receipt with their block-wide indexes.
pub fn logs(stored: &StoredBlock, index: usize, first_log_index: u64) -> Vec<Log> {
    let tx = &stored.txs[index];
    stored.receipts[index]
        .logs
        .iter()
        .enumerate()
        .map(|(i, log)| Log {
            inner: log.clone(),
            block_hash: Some(stored.hash),
            block_number: Some(stored.number()),
            block_timestamp: Some(stored.header.timestamp),
            transaction_hash: Some(tx.hash),
            transaction_index: Some(index as u64),
            log_index: Some(first_log_index + i as u64),
            removed: false,
        })
        .collect()
}

pub fn receipt(stored: &StoredBlock, index: usize) -> TransactionReceipt {
    receipt_with_first_log(stored, index, stored.first_log_index(index))
}

/// Every receipt of a block, in order (`eth_getBlockReceipts`).
pub fn block_receipts(stored: &StoredBlock) -> Vec<TransactionReceipt> {
    stored
        .first_log_indexes()
        .into_iter()
        .enumerate()
        .map(|(index, first_log)| receipt_with_first_log(stored, index, first_log))
        .collect()
}

fn receipt_with_first_log(
    stored: &StoredBlock,
    index: usize,
    first_log: u64,
) -> TransactionReceipt {
    let tx = &stored.txs[index];
    let r = &stored.receipts[index];
    let inner = ReceiptWithBloom {
        receipt: Receipt {
            status: Eip658Value::Eip658(r.success),
            cumulative_gas_used: r.cumulative_gas_used,
            logs: logs(stored, index, first_log),
        },
        logs_bloom: r.bloom(),
    };
    let inner = match tx.envelope.tx_type() as u8 {
        0 => ReceiptEnvelope::Legacy(inner),
        _ => ReceiptEnvelope::Eip1559(inner),
    };
    TransactionReceipt {
        inner,
        transaction_hash: tx.hash,
        transaction_index: Some(index as u64),
        block_hash: Some(stored.hash),
        block_number: Some(stored.number()),
        gas_used: r.gas_used,
        effective_gas_price: r.effective_gas_price,
        blob_gas_used: None,
        blob_gas_price: None,
        from: tx.sender,
        to: alloy_consensus::Transaction::to(&tx.envelope),
        contract_address: None,
    }
}
